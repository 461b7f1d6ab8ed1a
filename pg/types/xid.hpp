#pragma once
// A 32-bit transaction id compared the way PostgreSQL does
// (TransactionIdPrecedes): modulo 2^32, so ids keep their order across
// wraparound. Ids below 3 are special (invalid, bootstrap, frozen) and
// compare as plain numbers, as in PostgreSQL.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace slotd::pg {

class xid {
public:
  constexpr xid() = default;
  constexpr explicit xid(std::uint32_t value) : value_(value) {}

  static std::optional<xid> parse(std::string_view text) {
    std::uint32_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 10);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
      return std::nullopt;
    return xid{v};
  }

  constexpr std::uint32_t value() const { return value_; }
  constexpr bool is_normal() const { return value_ >= first_normal; }

  // a precedes b (a is older than b).
  friend constexpr bool precedes(xid a, xid b) {
    if (!a.is_normal() || !b.is_normal())
      return a.value_ < b.value_;
    return static_cast<std::int32_t>(a.value_ - b.value_) < 0;
  }
  friend constexpr bool precedes_or_equals(xid a, xid b) {
    return a.value_ == b.value_ || precedes(a, b);
  }
  friend constexpr bool operator==(xid, xid) = default;

private:
  static constexpr std::uint32_t first_normal = 3;
  std::uint32_t value_ = 0;
};

} // namespace slotd::pg
