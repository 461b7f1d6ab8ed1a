#include "config/duration.hpp"

#include <array>
#include <cstdint>
#include <utility>

namespace slotd::config {

namespace {

using std::chrono::milliseconds;

struct unit {
  std::string_view suffix;
  std::int64_t ms;
};
// Largest first, for format_duration.
constexpr std::array<unit, 4> units{{{"h", 3'600'000}, {"min", 60'000}, {"s", 1'000}, {"ms", 1}}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

parsed_duration fail(std::string error) { return {std::nullopt, std::move(error)}; }

} // namespace

parsed_duration parse_duration(std::string_view text, zero_duration zero) {
  constexpr std::string_view use_units = "use ms, s, min or h";
  if (text.empty())
    return fail("empty duration (" + std::string(use_units) + ", e.g. 10s)");
  if (text.front() == '-')
    return fail(quoted(text) + " is negative");

  std::size_t digits = 0;
  while (digits < text.size() && is_digit(text[digits]))
    ++digits;
  if (digits == 0)
    return fail(quoted(text) + " is not a duration (a whole number and a unit, e.g. 10s)");
  std::string_view suffix = text.substr(digits);
  if (!suffix.empty() && (suffix.front() == '.' || suffix.front() == ','))
    return fail(quoted(text) + " is not a whole number (use a smaller unit, e.g. 1500ms for 1.5s)");
  if (suffix.empty())
    return fail(quoted(text) + " has no unit (" + std::string(use_units) + ", e.g. " +
                std::string(text) + "s)");

  const unit* found = nullptr;
  for (const unit& u : units)
    if (suffix == u.suffix)
      found = &u;
  if (found == nullptr)
    return fail(quoted(text) + " has an unknown unit " + quoted(suffix) + " (" +
                std::string(use_units) + ")");

  const std::int64_t limit = milliseconds(max_duration).count() / found->ms;
  std::int64_t count = 0;
  for (char c : text.substr(0, digits)) {
    count = count * 10 + (c - '0');
    if (count > limit)
      return fail(quoted(text) + " is too long (at most " + format_duration(max_duration) + ")");
  }
  if (count == 0 && zero == zero_duration::rejected)
    return fail(quoted(text) + " must be greater than zero");
  return {milliseconds(count * found->ms), {}};
}

std::string format_duration(std::chrono::milliseconds d) {
  const std::int64_t ms = d.count();
  if (ms == 0)
    return "0s";
  const unit* best = &units.back(); // ms divides everything
  for (const unit& u : units) {
    if (ms % u.ms == 0) {
      best = &u;
      break;
    }
  }
  return std::to_string(ms / best->ms) + std::string(best->suffix);
}

} // namespace slotd::config
