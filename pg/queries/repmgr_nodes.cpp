#include "pg/queries/repmgr_nodes.hpp"

#include <charconv>

#include "pg/client/libpq.hpp"
#include "pg/queries/parse_guard.hpp"

namespace slotd::pg::queries {

std::string repmgr_nodes_sql() {
  return "SELECT node_id, upstream_node_id, active, node_name, type, conninfo "
         "FROM repmgr.nodes ORDER BY node_id";
}

namespace {

// The first entry of a libpq list ("h1,h2": the host libpq tries first).
std::string first_of(const std::string& list) { return list.substr(0, list.find(',')); }

void read_address(const std::string& conninfo, model::repmgr_node& n) {
  pg::error err;
  auto kv = libpq::parse_conninfo(conninfo, &err);
  if (!kv) {
    n.conninfo_problem = err.message;
    return;
  }
  auto host = first_of(libpq::get_keyword(*kv, "host").value_or(""));
  auto hostaddr = first_of(libpq::get_keyword(*kv, "hostaddr").value_or(""));
  // The host when it is a name or an address; the hostaddr when there is no
  // host or it is a Unix socket (a directory, or @abstract): the connection
  // then goes to the hostaddr.
  const bool socket = host.starts_with('/') || host.starts_with('@');
  n.host = !hostaddr.empty() && (host.empty() || socket) ? hostaddr : host;
  if (auto port = first_of(libpq::get_keyword(*kv, "port").value_or("")); !port.empty()) {
    int value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size())
      n.conninfo_problem = "port '" + port + "' is not a number";
    else
      n.port = value;
  }
}

} // namespace

result<std::vector<model::repmgr_node>> parse_repmgr_nodes(const rows& r) {
  return parse_guarded("repmgr.nodes", [&]() -> result<std::vector<model::repmgr_node>> {
    std::vector<model::repmgr_node> out;
    for (int i = 0; i < r.size(); ++i) {
      model::repmgr_node n;
      n.node_id = r.get<int>(i, 0).value_or(0);
      n.upstream_node_id = r.get<int>(i, 1);
      n.active = r.get<bool>(i, 2).value_or(false);
      n.node_name = r.get<std::string>(i, 3).value_or("");
      n.type = r.get<std::string>(i, 4).value_or("");
      read_address(r.get<std::string>(i, 5).value_or(""), n);
      out.push_back(std::move(n));
    }
    return out;
  });
}

} // namespace slotd::pg::queries
