#pragma once
// A problem found in a configuration file or a PUT /cluster body, located the
// way compilers do it so that editors can jump to it: FILE:LINE:COL: message.
#include <optional>
#include <string>
#include <vector>

namespace slotd::config {

enum class severity { error, warning };

struct diagnostic {
  std::string file;  // file name, or the request that carried the text
  int line = 0;      // 1-based; 0 when the problem has no position (missing file)
  int column = 0;    // 1-based
  std::string message;
  severity level = severity::error;
  friend bool operator==(const diagnostic&, const diagnostic&) = default;
};

// "FILE:LINE:COL: message", "FILE:LINE:COL: warning: message", or
// "FILE: message" when there is no position.
std::string to_string(const diagnostic& d);

// What a parser returns: the value when nothing is wrong, and every problem
// it found (not just the first). Warnings never withhold the value.
template <class T>
struct parse_result {
  std::optional<T> value; // present iff there are no errors
  std::vector<diagnostic> diagnostics;

  bool ok() const { return value.has_value(); }
};

} // namespace slotd::config
