#pragma once
// The lines of a small text (a command's output, a configuration file),
// without their '\n', one call each.
#include <string_view>

namespace slotd::pg::server {

template <class F>
void for_each_line(std::string_view text, F&& each) {
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    each(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    start = end == std::string_view::npos ? text.size() : end + 1;
  }
}

} // namespace slotd::pg::server
