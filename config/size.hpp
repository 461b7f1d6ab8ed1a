#pragma once
// Sizes as written in slotd.yaml and in API bodies ("512MB", "10GB"), with
// PostgreSQL's units: kB, MB, GB, TB, each 1024 of the one before. A size
// always carries a unit; bare numbers, negatives, fractions and zero are
// errors.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace slotd::config {

struct parsed_size {
  std::optional<std::uint64_t> bytes;
  std::string error; // set iff !bytes
};

parsed_size parse_size(std::string_view text);

// The exact text in the largest unit that divides it (10GB, 1536MB); a size
// below 1kB or not a multiple of it reads in kB rounded up.
std::string format_size(std::uint64_t bytes);

} // namespace slotd::config
