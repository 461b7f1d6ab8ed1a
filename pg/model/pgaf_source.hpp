#pragma once
// `ha_source: pg_auto_failover` (docs/integrations/pg_auto_failover.md):
// the members, and the promote and demote of this agent, from the
// pg_auto_failover monitor's table pgautofailover.node.
//
// Members. Each node of this node's formation and group is a member named
// after the physical slot pg_auto_failover gives it on the other nodes,
// pgautofailover_standby_<node id>: slotd's member slots are then the very
// slots pg_autoctl creates, advances and drops (both only ever move them
// forward; neither drops an active one), the replica's
// hot_standby_feedback reaches its member slot on the primary, and no
// pgautofailover_standby_* slot is an unknown one. Host and port are the
// node's nodehost and nodeport; api: http://nodehost:api_port when set.
// A node being dropped (goal state dropped) stays a member until its
// record goes, as pg_autoctl keeps its slot until then. Candidate priority
// is not mapped: a node at priority 0 keeps its copies, so that a priority
// raised at run time finds them ready.
//
// Steps. pg_autoctl promotes a standby itself when the monitor assigns it
// the goal states prepare_promotion, then stop_replication (or
// wait_primary), or single when the primary was removed. No hook runs
// before that, so the agent tells itself:
// - promote, once, when its node's goal state is one of those and the
//   state its node last reported is still a standby's (the final advance
//   then runs while pg_autoctl prepares the promotion; one that lands
//   after it only gives consumers changes again, it never skips any);
// - confirm_primary, when its node has a primary's goal state (single,
//   wait_primary, primary, join_primary, apply_settings) and its keeper
//   reports it one too, and the agent has not promoted itself since
//   it last followed (the moment was missed: a promote refused while a
//   copy held the server, the monitor out of reach, the agent or its
//   reader started again);
// - follow the primary (demote), when its node's goal state is a
//   standby's (secondary, catchingup, wait_maintenance, maintenance,
//   join_secondary) and one other node has a primary's goal state,
//   unless it follows that member already.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pg/model/cluster_view.hpp"

namespace slotd::model {

// One row of pgautofailover.node (of one formation).
struct pgaf_node {
  std::int64_t node_id = 0;
  int group_id = 0;
  std::string node_name;
  std::string host;
  int port = 5432;
  std::string goal_state;
  std::string reported_state;
  friend bool operator==(const pgaf_node&, const pgaf_node&) = default;
};

// pgautofailover_standby_<node id>, and back (nullopt: not such a name).
std::string pgaf_member_name(std::int64_t node_id);
std::optional<std::int64_t> pgaf_node_id_of(std::string_view member_name);

struct pgaf_members {
  std::map<std::string, member> members; // empty when this node is not listed
  std::vector<std::string> problems;      // nodes left out, and why
};

pgaf_members members_from_pgaf(const std::vector<pgaf_node>& nodes, std::int64_t my_node_id,
                               std::optional<std::uint16_t> api_port);

// confirm_primary: the node is the primary now, and the agent has not
// promoted itself since it last followed (or it just started): promote
// unless the agent already acts as the primary (role auto saw a primary
// server), which only the HA loop knows.
enum class pgaf_step { none, promote, follow, confirm_primary };
std::string_view to_string(pgaf_step s);

// What the agent last told itself, and got done.
struct pgaf_told {
  pgaf_step step = pgaf_step::none;
  std::string leader; // follow: the member followed
  friend bool operator==(const pgaf_told&, const pgaf_told&) = default;
};

struct pgaf_action {
  pgaf_step step = pgaf_step::none;
  std::string leader; // follow: the primary's member name
  std::string why;    // the states that call for it, for the log
  friend bool operator==(const pgaf_action&, const pgaf_action&) = default;
};

pgaf_action decide_pgaf_step(const std::vector<pgaf_node>& nodes, std::int64_t my_node_id, const pgaf_told& told);

} // namespace slotd::model
