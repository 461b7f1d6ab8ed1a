#pragma once
// A WAL position (XLogRecPtr): 64 bits, written by PostgreSQL as two
// upper-case hex halves without zero padding, e.g. "16/B374D848".
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace slotd::pg {

class lsn {
public:
  constexpr lsn() = default;
  constexpr explicit lsn(std::uint64_t value) : value_(value) {}

  // "X/Y" with 1-8 hex digits on each side; nullopt on anything else.
  static std::optional<lsn> parse(std::string_view text);

  constexpr std::uint64_t value() const { return value_; }
  constexpr bool is_zero() const { return value_ == 0; }
  std::string str() const;

  // Bytes from `other` up to this position; 0 when `other` is ahead.
  constexpr std::uint64_t bytes_after(lsn other) const {
    return value_ > other.value_ ? value_ - other.value_ : 0;
  }

  friend constexpr auto operator<=>(lsn, lsn) = default;

private:
  std::uint64_t value_ = 0;
};

} // namespace slotd::pg
