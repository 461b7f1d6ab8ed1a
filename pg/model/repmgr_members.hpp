#pragma once
// `members_from: repmgr` (docs/configuration.md): the cluster view's members
// taken from repmgr's own metadata, the table repmgr.nodes that repmgr
// replicates to every node, so that members and upstreams are never
// configured twice.
//
// Each registered node is a member named by its node_name:
// - host and port from its conninfo (port 5432 when unset); a node whose
//   conninfo names no host (a Unix socket) or several is left out, with a
//   problem saying so: no other member could reach it;
// - replicatefrom: its upstream's node_name when that upstream is a standby
//   (a cascade); a standby of the primary needs none;
// - nofailover: priority 0 (repmgr never promotes it) or a witness;
// - nostream: a witness (its own server, it streams from nobody);
// - api: http://HOST:api_port when api_port is set.
// Inactive nodes (a failed primary, a standby that is down) stay members:
// their slots are kept for when they come back. A node that is unregistered
// leaves the view, and its slot is kept for member_slots_ttl.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pg/model/cluster_view.hpp"

namespace slotd::model {

// One row of repmgr.nodes, with its conninfo's host and port read out.
struct repmgr_node {
  int node_id = 0;
  std::optional<int> upstream_node_id;
  bool active = true;
  std::string node_name;
  std::string type; // primary, standby, witness (bdr: not supported)
  int priority = 100;
  std::string host;        // conninfo's host, else its hostaddr; empty: none
  std::optional<int> port; // conninfo's port, when set and a number
  std::string conninfo_problem; // why host/port could not be read, if so
};

struct repmgr_member_options {
  std::optional<std::uint16_t> api_port; // each member's slotd API port
};

struct repmgr_members {
  std::map<std::string, member> members;
  std::vector<std::string> problems; // nodes left out, and why
};

repmgr_members members_from_repmgr(const std::vector<repmgr_node>& nodes, const repmgr_member_options& options);

} // namespace slotd::model
