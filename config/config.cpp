#include "config/config.hpp"

#include <cstddef>

namespace slotd::config {

std::string_view to_string(start_role r) { return r == start_role::wait ? "wait" : "auto"; }

std::string_view to_string(log_level l) {
  constexpr std::string_view names[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  return names[static_cast<std::size_t>(l)];
}

std::string_view to_string(log_format f) { return f == log_format::json ? "json" : "text"; }

namespace {

struct source_texts {
  std::string_view name, origin, key, label;
};

source_texts texts_of(members_source s) {
  switch (s) {
  case members_source::repmgr: return {"repmgr", "repmgr.nodes", "members_from: repmgr", "members_from repmgr"};
  case members_source::pg_auto_failover:
    return {"pg_auto_failover", "the pg_auto_failover monitor", "ha_source: pg_auto_failover",
            "ha_source pg_auto_failover"};
  case members_source::config: break;
  }
  return {"config", "", "members", "members"};
}

} // namespace

std::string_view to_string(members_source s) { return texts_of(s).name; }
std::string_view members_origin(members_source s) { return texts_of(s).origin; }
std::string_view members_source_key(members_source s) { return texts_of(s).key; }
std::string_view members_source_label(members_source s) { return texts_of(s).label; }

std::string to_string(const listen_address& a) {
  const bool v6 = a.host.find(':') != std::string::npos;
  return (v6 ? "[" + a.host + "]" : a.host) + ":" + std::to_string(a.port);
}

} // namespace slotd::config
