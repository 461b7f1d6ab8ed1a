#include "config/diagnostic.hpp"

namespace slotd::config {

std::string to_string(const diagnostic& d) {
  std::string out = d.file;
  if (d.line > 0)
    out += ':' + std::to_string(d.line) + ':' + std::to_string(d.column);
  out += ": ";
  if (d.level == severity::warning)
    out += "warning: ";
  out += d.message;
  return out;
}

} // namespace slotd::config
