#include "pg/types/lsn.hpp"

#include <charconv>
#include <cstdio>

namespace slotd::pg {

namespace {
std::optional<std::uint32_t> parse_half(std::string_view part) {
  if (part.empty() || part.size() > 8)
    return std::nullopt;
  std::uint32_t value = 0;
  auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value, 16);
  if (ec != std::errc{} || end != part.data() + part.size())
    return std::nullopt;
  return value;
}
} // namespace

std::optional<lsn> lsn::parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos)
    return std::nullopt;
  auto hi = parse_half(text.substr(0, slash));
  auto lo = parse_half(text.substr(slash + 1));
  if (!hi || !lo)
    return std::nullopt;
  return lsn{(std::uint64_t{*hi} << 32) | *lo};
}

std::string lsn::str() const {
  char buf[24];
  auto n = std::snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(value_ >> 32),
                         static_cast<unsigned>(value_ & 0xffffffffu));
  return std::string(buf, static_cast<std::size_t>(n));
}

} // namespace slotd::pg
