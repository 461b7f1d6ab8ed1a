#pragma once
// Helpers shared by the config tests.
#include <filesystem>
#include <string>
#include <vector>

#include "config/diagnostic.hpp"

namespace slotd::config::test {

// Every diagnostic as it is printed: FILE:LINE:COL: message.
template <class T>
std::vector<std::string> printed(const parse_result<T>& r) {
  std::vector<std::string> out;
  for (const diagnostic& d : r.diagnostics)
    out.push_back(to_string(d));
  return out;
}

// The source tree (this file is tests/config/test_util.hpp).
inline std::filesystem::path source_dir() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
}

} // namespace slotd::config::test
