#pragma once
// `members_from: repmgr` (docs/configuration.md): the cluster view's members
// taken from repmgr's own metadata, the table repmgr.nodes that repmgr
// replicates to every node, so that members and upstreams are never
// configured twice.
//
// Each registered node is a member named by its node_name:
// - host and port from its conninfo (the first of a list; port 5432 when
//   unset); a node whose conninfo names no host (a Unix socket) is left
//   out, with a problem saying so: no other member could reach it;
// - replicatefrom: its upstream's node_name when that upstream is a standby
//   (a cascade); a standby of the primary needs none;
// - a witness is nofailover and nostream (its own server, it streams from
//   nobody). repmgr's priority is not mapped: priority 0 only keeps a node
//   out of repmgrd's automatic election, `repmgr standby promote` still
//   promotes it, and then it must hold a primary's slots;
// - api: http://HOST:api_port when api_port is set.
// Inactive nodes (a failed primary, a standby that is down) stay members:
// their slots are kept for when they come back. A node that is unregistered
// leaves the view, and its slot is kept for member_slots_ttl.
// Two records with one node_name (a rebuilt machine registered again under
// its old name): the active one is used, then the one with the highest
// node_id. Names that give one slot name (db-1, db_1; witnesses have no
// slot): the highest node_id keeps it. The others are left out with a
// problem.
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

// http://HOST:PORT (brackets around an IPv6 address): a member's slotd API.
std::string member_api_url(const std::string& host, std::uint16_t port);

repmgr_members members_from_repmgr(const std::vector<repmgr_node>& nodes, const repmgr_member_options& options);

} // namespace slotd::model
