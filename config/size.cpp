#include "config/size.hpp"

#include <array>
#include <limits>

namespace slotd::config {

namespace {

struct unit {
  std::string_view suffix;
  std::uint64_t bytes;
};
constexpr std::array<unit, 4> units{{{"kB", 1ull << 10}, {"MB", 1ull << 20}, {"GB", 1ull << 30}, {"TB", 1ull << 40}}};

parsed_size fail(std::string_view text, const std::string& why) {
  return {std::nullopt, "'" + std::string(text) + "' " + why + " (a whole number and kB, MB, GB or TB, e.g. 10GB)"};
}

} // namespace

parsed_size parse_size(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
    ++digits;
  if (digits == 0)
    return fail(text, "is not a size");
  auto suffix = text.substr(digits);
  if (suffix.empty())
    return fail(text, "has no unit");
  for (auto& u : units) {
    if (suffix != u.suffix)
      continue;
    if (digits > 15)
      return fail(text, "is too large");
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < digits; ++i)
      n = n * 10 + static_cast<std::uint64_t>(text[i] - '0');
    if (n == 0)
      return fail(text, "is zero");
    if (n > std::numeric_limits<std::uint64_t>::max() / u.bytes)
      return fail(text, "is too large");
    return {n * u.bytes, ""};
  }
  return fail(text, "has an unknown unit '" + std::string(suffix) + "'");
}

std::string format_size(std::uint64_t bytes) {
  for (auto it = units.rbegin(); it != units.rend(); ++it)
    if (bytes >= it->bytes && bytes % it->bytes == 0)
      return std::to_string(bytes / it->bytes) + std::string(it->suffix);
  return std::to_string((bytes + 1023) / 1024) + "kB";
}

} // namespace slotd::config
