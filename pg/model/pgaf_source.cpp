#include "pg/model/pgaf_source.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "pg/model/repmgr_members.hpp"

namespace slotd::model {

namespace {

constexpr std::string_view slot_prefix = "pgautofailover_standby_";

bool one_of(std::string_view state, std::initializer_list<std::string_view> states) {
  return std::find(states.begin(), states.end(), state) != states.end();
}

// Goal states on the way from standby to primary, before pg_autoctl has
// promoted the server or while it does (single: the primary was removed).
bool promoting_goal(std::string_view s) {
  return one_of(s, {"prepare_promotion", "stop_replication", "wait_primary", "single"});
}

// Reported states of a node that is still a standby.
bool standby_report(std::string_view s) {
  return one_of(s, {"secondary", "catchingup", "report_lsn", "fast_forward", "prepare_promotion", "stop_replication"});
}

// Goal states of a standby that streams, or will, from the primary.
bool following_goal(std::string_view s) {
  return one_of(s, {"secondary", "catchingup", "wait_maintenance", "maintenance", "join_secondary"});
}

bool primary_goal(std::string_view s) {
  return one_of(s, {"single", "wait_primary", "primary", "join_primary", "apply_settings"});
}

const pgaf_node* find_node(const std::vector<pgaf_node>& nodes, std::int64_t id) {
  for (const auto& n : nodes)
    if (n.node_id == id)
      return &n;
  return nullptr;
}

std::string describe(const pgaf_node& n) {
  return "pg_auto_failover node " + std::to_string(n.node_id) + " ('" + n.node_name + "')";
}

} // namespace

std::string pgaf_member_name(std::int64_t node_id) { return std::string(slot_prefix) + std::to_string(node_id); }

std::optional<std::int64_t> pgaf_node_id_of(std::string_view name) {
  if (!name.starts_with(slot_prefix))
    return std::nullopt;
  auto digits = name.substr(slot_prefix.size());
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || id <= 0 ||
      pgaf_member_name(id) != name) // no sign, no leading zero
    return std::nullopt;
  return id;
}

pgaf_members members_from_pgaf(const std::vector<pgaf_node>& nodes, std::int64_t my_node_id,
                               std::optional<std::uint16_t> api_port) {
  pgaf_members out;
  const auto* me = find_node(nodes, my_node_id);
  if (!me)
    return out;
  for (const auto& n : nodes) {
    if (n.group_id != me->group_id)
      continue; // another group (Citus workers) is another cluster
    if (n.host.empty() || n.port < 1 || n.port > 65535) {
      out.problems.push_back(describe(n) + " is left out of the members: its nodehost:nodeport " + n.host + ":" +
                             std::to_string(n.port) + " cannot be reached");
      continue;
    }
    member m;
    m.name = pgaf_member_name(n.node_id);
    m.host = n.host;
    m.port = n.port;
    if (api_port)
      m.api = member_api_url(m.host, *api_port);
    out.members.emplace(m.name, std::move(m));
  }
  return out;
}

std::string_view to_string(pgaf_step s) {
  switch (s) {
  case pgaf_step::promote: return "promote";
  case pgaf_step::follow: return "follow";
  case pgaf_step::confirm_primary: return "confirm_primary";
  case pgaf_step::none: break;
  }
  return "none";
}

pgaf_action decide_pgaf_step(const std::vector<pgaf_node>& nodes, std::int64_t my_node_id, const pgaf_told& told) {
  pgaf_action a;
  const auto* me = find_node(nodes, my_node_id);
  if (!me)
    return a;
  const std::string states = "goal state " + me->goal_state + ", reported " + me->reported_state;
  // Before pg_autoctl promotes the node (or while it does).
  if (promoting_goal(me->goal_state) && standby_report(me->reported_state)) {
    if (told.step != pgaf_step::promote) {
      a.step = pgaf_step::promote;
      a.why = states;
    }
    return a;
  }
  // Promoted already (its keeper reported it a primary): the moment was
  // missed, or the agent does not know.
  if (primary_goal(me->goal_state) && primary_goal(me->reported_state)) {
    if (told.step != pgaf_step::promote) {
      a.step = pgaf_step::confirm_primary;
      a.why = states;
    }
    return a;
  }
  if (!following_goal(me->goal_state))
    return a;
  const pgaf_node* primary = nullptr;
  for (const auto& n : nodes) {
    if (n.node_id == my_node_id || n.group_id != me->group_id || !primary_goal(n.goal_state))
      continue;
    if (primary)
      return a; // two at once, for a moment: wait for one
    primary = &n;
  }
  if (!primary)
    return a;
  auto leader = pgaf_member_name(primary->node_id);
  if (told.step == pgaf_step::follow && told.leader == leader)
    return a;
  a.step = pgaf_step::follow;
  a.leader = std::move(leader);
  a.why = states + "; " + describe(*primary) + " has goal state " + primary->goal_state;
  return a;
}

} // namespace slotd::model
