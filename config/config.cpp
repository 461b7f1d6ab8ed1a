#include "config/config.hpp"

#include <cstddef>

namespace slotd::config {

std::string_view to_string(start_role r) { return r == start_role::wait ? "wait" : "auto"; }

std::string_view to_string(log_level l) {
  constexpr std::string_view names[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  return names[static_cast<std::size_t>(l)];
}

std::string_view to_string(log_format f) { return f == log_format::json ? "json" : "text"; }

std::string_view to_string(members_source s) { return s == members_source::repmgr ? "repmgr" : "config"; }

std::string to_string(const listen_address& a) {
  const bool v6 = a.host.find(':') != std::string::npos;
  return (v6 ? "[" + a.host + "]" : a.host) + ":" + std::to_string(a.port);
}

} // namespace slotd::config
