#include "pg/model/repmgr_members.hpp"

#include <algorithm>
#include <utility>

namespace slotd::model {

namespace {

std::string describe(const repmgr_node& n) {
  return "repmgr node " + std::to_string(n.node_id) + " ('" + n.node_name + "')";
}

// Why `n` cannot be a member, or empty.
std::string left_out_because(const repmgr_node& n) {
  if (!n.conninfo_problem.empty())
    return "its conninfo cannot be read: " + n.conninfo_problem;
  if (n.host.empty())
    return "its conninfo names no host (a Unix socket is not reachable from the other nodes)";
  if (n.host.starts_with('/') || n.host.starts_with('@'))
    return "its conninfo's host is a Unix socket (" + n.host + ")";
  if (n.port && (*n.port < 1 || *n.port > 65535))
    return "its conninfo's port " + std::to_string(*n.port) + " is not 1-65535";
  if (n.type == "bdr")
    return "it is a BDR node";
  return {};
}

} // namespace

std::string member_api_url(const std::string& host, std::uint16_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

repmgr_members members_from_repmgr(const std::vector<repmgr_node>& nodes, const repmgr_member_options& options) {
  repmgr_members out;
  std::map<int, const repmgr_node*> by_id;
  for (const auto& n : nodes)
    by_id[n.node_id] = &n;
  // One record per node_name: the active one, then the highest node_id.
  std::map<std::string, const repmgr_node*> chosen;
  std::vector<const repmgr_node*> order; // the chosen ones, highest node_id first
  for (const auto& n : nodes) {
    if (n.node_name.empty()) {
      out.problems.push_back(describe(n) + " is left out of the members: it has no node_name");
      continue;
    }
    auto [it, fresh] = chosen.emplace(n.node_name, &n);
    if (!fresh && std::pair(n.active, n.node_id) > std::pair(it->second->active, it->second->node_id))
      it->second = &n;
  }
  for (const auto& n : nodes)
    if (!n.node_name.empty() && chosen.at(n.node_name) != &n)
      out.problems.push_back(describe(n) + " is not used: another record has this node_name (the active one, "
                                           "then the one with the highest node_id, is used)");
  for (const auto& [name, np] : chosen)
    order.push_back(np);
  std::sort(order.begin(), order.end(), [](const repmgr_node* a, const repmgr_node* b) { return a->node_id > b->node_id; });
  std::map<std::string, std::string> slot_owner; // slot name → node_name
  for (const auto* np : order) {
    const auto& n = *np;
    if (auto why = left_out_because(n); !why.empty()) {
      out.problems.push_back(describe(n) + " is left out of the members: " + why);
      continue;
    }
    const bool witness = n.type == "witness";
    if (!witness) { // a witness has no slot
      auto slot = slot_name_from_member_name(n.node_name);
      if (auto it = slot_owner.find(slot); it != slot_owner.end()) {
        out.problems.push_back(describe(n) + " is left out of the members: its slot name " + slot +
                               " is also that of '" + it->second + "' (the highest node_id keeps it)");
        continue;
      }
      slot_owner.emplace(slot, n.node_name);
    }
    member m;
    m.name = n.node_name;
    m.host = n.host;
    m.port = n.port.value_or(5432);
    m.tags.nofailover = witness;
    m.tags.nostream = witness;
    if (n.upstream_node_id && !witness) {
      auto up = by_id.find(*n.upstream_node_id);
      if (up != by_id.end() && up->second->type == "standby" && up->second->node_id != n.node_id &&
          !up->second->node_name.empty())
        m.tags.replicatefrom = up->second->node_name;
    }
    if (options.api_port)
      m.api = member_api_url(m.host, *options.api_port);
    out.members.emplace(m.name, std::move(m));
  }
  return out;
}

} // namespace slotd::model
