#pragma once
// An audit event number as a client gives it (GET /events?since=N, slotctl
// events --since N): decimal digits only, 0 to 2^64-1; none otherwise.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace slotd::model {

inline std::optional<std::uint64_t> parse_event_number(std::string_view text) {
  std::uint64_t n = 0;
  if (text.empty() || text.front() < '0' || text.front() > '9')
    return std::nullopt; // from_chars would take neither "+1" nor "-1", but say it here
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return n;
}

} // namespace slotd::model
