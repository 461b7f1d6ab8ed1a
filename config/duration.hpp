#pragma once
// Durations as written in slotd.yaml and in API bodies ("500ms", "10s",
// "30min", "1h"). docs/configuration.md: a duration always carries a unit;
// bare numbers, negatives, fractions and other units are errors, and so is
// zero where it means nothing (a loop that waits 0 s, a promote that may take
// 0 s).
// No YAML here: the HTTP API parses its bodies' durations with this too.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace slotd::config {

enum class zero_duration { rejected, allowed };

// A duration, or the reason the text is not one.
struct parsed_duration {
  std::optional<std::chrono::milliseconds> value;
  std::string error; // set iff !value, e.g. "'10' has no unit (use ms, s, min or h, e.g. 10s)"
};

// Whole non-negative number immediately followed by ms, s, min or h, at most
// max_duration. Zero only with zero_duration::allowed, and even then with a
// unit ("0s"): a bare "0" is as ambiguous as a bare "10".
parsed_duration parse_duration(std::string_view text, zero_duration zero = zero_duration::rejected);

// Keeps timer arithmetic on steady_clock far from overflow.
inline constexpr std::chrono::hours max_duration{100000};

// The shortest exact text for a duration in the largest unit that divides it:
// 30min, 10s, 1500ms, 0s. parse_duration(format_duration(d)) == d.
std::string format_duration(std::chrono::milliseconds d);

} // namespace slotd::config
