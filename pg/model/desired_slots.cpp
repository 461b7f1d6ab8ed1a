#include "pg/model/desired_slots.hpp"

#include <algorithm>

#include "pg/model/topology.hpp"

namespace slotd::model {

namespace {

std::optional<pg::lsn> nonzero(pg::lsn value) {
  return value.is_zero() ? std::nullopt : std::optional<pg::lsn>(value);
}

pg::lsn position(const slot_positions& positions, std::string_view slot) {
  auto it = positions.find(slot);
  return it == positions.end() ? pg::lsn{} : it->second;
}

// docs/slot-rules.md §3.5 step 3.
bool expected_active(const cluster_view& view, const node_context& node, const std::string& member_name,
                     const member& m) {
  const auto& upstream = m.tags.replicatefrom;
  if (holds_leader_role(node.role))
    return !upstream || *upstream == node.my_name || !view.members.contains(*upstream);
  return upstream && *upstream == node.my_name && node.leader != member_name;
}

diagnostic collision(const std::string& slot, const std::vector<std::string>& names) {
  std::string list;
  for (const auto& n : names)
    list += (list.empty() ? "" : ", ") + n;
  return {severity::error, diagnostic_code::member_slot_collision, slot,
          "Following cluster members share a replication slot name: " + list + " map to " + slot};
}

} // namespace

namespace {

// §3.14: nofailover shapes a replica's slots; a node that holds the leader
// role (the HA manager promoted it anyway) keeps a primary's slots.
bool acts_nofailover(const cluster_view& view, const node_context& node) {
  return tags_of(view, node.my_name).nofailover && !holds_leader_role(node.role);
}

} // namespace

desired_set member_slots(const cluster_view& view, const node_context& node, const slot_positions& positions,
                         const std::vector<std::string>& retained, std::vector<diagnostic>& diagnostics) {
  desired_set out;
  if (!view.use_slots)
    return out;
  const bool nofailover = acts_nofailover(view, node);
  const bool retention = view.member_slots_ttl > std::chrono::milliseconds::zero();
  const auto own = slot_name_from_member_name(node.my_name);
  std::map<std::string, std::vector<std::string>> sharing; // slot → kept members
  for (const auto& [name, m] : view.members) {
    if (name == node.my_name || m.tags.nostream)
      continue;
    const bool active = expected_active(view, node, name, m);
    const bool keep = !retention ? active : !nofailover || m.tags.replicatefrom == node.my_name;
    if (!keep)
      continue;
    auto slot = slot_name_from_member_name(name);
    sharing[slot].push_back(name);
    if (slot == own || out.contains(slot))
      continue;
    // §3.5 step 5: a member streaming from someone else does not move the
    // leader's copy of its slot; its own reported position counts too.
    auto lsn = position(positions, slot);
    if (m.tags.replicatefrom && m.xlog_location)
      lsn = std::max(lsn, *m.xlog_location);
    desired_slot d;
    d.name = slot;
    d.type = slot_type::physical;
    d.lsn = nonzero(lsn);
    d.expected_active = active;
    d.origin = slot_origin::member;
    out.emplace(slot, std::move(d));
  }
  for (auto& [slot, names] : sharing) {
    if (slot == own)
      names.insert(names.begin(), node.my_name);
    if (names.size() > 1)
      diagnostics.push_back(collision(slot, names));
  }
  // §3.5 step 6: retained slots carry no lsn and no expected_active.
  if (!nofailover) {
    for (const auto& slot : retained) {
      if (slot == own || out.contains(slot))
        continue;
      desired_slot d;
      d.name = slot;
      d.origin = slot_origin::retained;
      out.emplace(slot, std::move(d));
    }
  }
  return out;
}

std::vector<std::string> uncopied_as_nofailover(const cluster_view& view, const std::string& my_name) {
  std::vector<std::string> out;
  if (!view.use_slots || !tags_of(view, my_name).nofailover)
    return out;
  for (const auto& [name, slot] : view.slots)
    if (slot.type == slot_type::logical)
      out.push_back(name);
  return out;
}

std::vector<permanent_slot> permanent_slots_for_node(const cluster_view& view, const node_context& node) {
  std::vector<permanent_slot> out;
  if (!view.use_slots || acts_nofailover(view, node))
    return out;
  // Without a streaming path there is no hot_standby_feedback protection
  // for a logical copy: physical slots only.
  const bool streams = get_slot_name_on_primary(view, node.my_name, node.leader).has_value();
  for (const auto& [name, slot] : view.slots) {
    if (streams || slot.type == slot_type::physical) {
      out.push_back(slot);
      out.back().name = name;
    }
  }
  return out;
}

namespace {

// §3.3: a permanent physical slot named like a cascading member also
// follows that member's reported position.
pg::lsn permanent_position(const cluster_view& view, const permanent_slot& slot, const slot_positions& positions) {
  auto lsn = position(positions, slot.name);
  if (slot.type != slot_type::physical)
    return lsn;
  for (const auto& [name, m] : view.members)
    if (m.tags.replicatefrom && m.xlog_location && slot_name_from_member_name(name) == slot.name)
      lsn = std::max(lsn, *m.xlog_location);
  return lsn;
}

// §3.7: the topology entry of a slot name is "truthy" when a member of
// that slot name cascades from someone.
bool member_cascades(const cluster_view& view, const std::string& slot) {
  return std::any_of(view.members.begin(), view.members.end(), [&](const auto& entry) {
    return entry.second.tags.replicatefrom && slot_name_from_member_name(entry.first) == slot;
  });
}

} // namespace

void merge_permanent_slots(desired_set& slots, const std::vector<permanent_slot>& permanent,
                           const cluster_view& view, const node_context& node, const slot_positions& positions,
                           std::vector<diagnostic>& diagnostics) {
  const desired_set members = slots;
  const auto own = slot_name_from_member_name(node.my_name);
  for (const auto& p : permanent) {
    if (!is_valid_slot_name(p.name)) {
      diagnostics.push_back({severity::error, diagnostic_code::invalid_slot_name, p.name,
                             "Invalid permanent replication slot name '" + p.name +
                                 "': it must match ^[a-z0-9_]{1,63}$; the slot is skipped"});
      continue;
    }
    desired_slot d;
    d.name = p.name;
    d.type = p.type;
    d.origin = slot_origin::permanent;
    d.lsn = nonzero(permanent_position(view, p, positions));
    if (p.type == slot_type::physical) {
      if (members.contains(p.name) || p.name == own)
        continue;
      d.expected_active = !member_cascades(view, p.name) && holds_leader_role(node.role);
      slots.insert_or_assign(p.name, std::move(d));
      continue;
    }
    if (p.database.empty() || p.plugin.empty()) {
      diagnostics.push_back({severity::error, diagnostic_code::bad_slot_value, p.name,
                             "Bad value for slot '" + p.name + "': a logical slot needs database and plugin"});
      continue;
    }
    if (members.contains(p.name)) {
      diagnostics.push_back({severity::error, diagnostic_code::conflicts_member_slot, p.name,
                             "Permanent logical replication slot '" + p.name +
                                 "' is conflicting with physical replication slot for cluster member"});
      continue;
    }
    d.database = p.database;
    d.plugin = p.plugin;
    d.failover = p.failover;
    slots.insert_or_assign(p.name, std::move(d));
  }
}

desired_set desired_slots(const cluster_view& view, const node_context& node, const slot_positions& positions,
                          const std::vector<std::string>& retained, std::vector<diagnostic>& diagnostics) {
  auto slots = member_slots(view, node, positions, retained, diagnostics);
  merge_permanent_slots(slots, permanent_slots_for_node(view, node), view, node, positions, diagnostics);
  return slots;
}

bool should_enforce_hot_standby_feedback(const cluster_view& view, std::string_view name,
                                         const std::optional<std::string>& leader) {
  const node_context as_replica{std::string(name), leader, node_role::replica};
  std::vector<diagnostic> ignored;
  for (const auto& [slot, d] : desired_slots(view, as_replica, {}, {}, ignored))
    if (d.type == slot_type::logical)
      return true;
  if (!view.use_slots || !get_slot_name_on_primary(view, name, leader))
    return false;
  return std::any_of(view.members.begin(), view.members.end(), [&](const auto& entry) {
    const auto& [member_name, m] = entry;
    return member_name != leader && member_name != name && m.tags.replicatefrom == name &&
           should_enforce_hot_standby_feedback(view, member_name, leader);
  });
}

} // namespace slotd::model
