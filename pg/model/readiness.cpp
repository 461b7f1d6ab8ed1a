#include "pg/model/readiness.hpp"

#include "pg/model/copy_method.hpp"
#include "pg/model/version_gates.hpp"

#include <algorithm>

namespace slotd::model {

readiness_queue rebuild_readiness_queue(const slot_cache& local, const std::vector<ignore_matcher>& ignore_slots,
                                        int server_major) {
  readiness_queue out;
  for (const auto& [name, slot] : local) {
    if (slot.type != slot_type::logical || is_ignored(ignore_slots, slot))
      continue;
    if (has_failover_slots(server_major) && slot.failover)
      continue; // PostgreSQL's own failover slots are not ours to judge
    out.pending.emplace(name, std::nullopt);
  }
  return out;
}

std::vector<std::string> readiness_lookup_names(const readiness_queue& queue, const std::string& physical_slot) {
  std::vector<std::string> names;
  for (const auto& [name, xmin] : queue.pending)
    if (!xmin)
      names.push_back(name);
  names.push_back(physical_slot);
  return names;
}

bool is_safe_after_failover(std::optional<pg::xid> primary_logical_xmin, std::optional<pg::xid> physical_xmin,
                            std::optional<pg::xid> local_xmin) {
  if (!primary_logical_xmin || !physical_xmin || !local_xmin)
    return false;
  return precedes_or_equals(*primary_logical_xmin, *physical_xmin) && precedes_or_equals(*physical_xmin, *local_xmin);
}

namespace {

// §2.3.20: drop entries whose local slot is gone, and those proven safe.
void prune_ready(readiness_result& r, const slot_cache& local, std::optional<pg::xid> physical_xmin) {
  for (auto it = r.queue.pending.begin(); it != r.queue.pending.end();) {
    auto slot = local.find(it->first);
    if (slot == local.end()) {
      it = r.queue.pending.erase(it);
      continue;
    }
    if (is_safe_after_failover(it->second, physical_xmin, slot->second.catalog_xmin)) {
      r.became_ready.push_back(it->first);
      r.diagnostics.push_back({severity::info, diagnostic_code::slot_ready, it->first,
                               "Logical slot " + it->first + " is safe to be used after a failover"});
      it = r.queue.pending.erase(it);
      continue;
    }
    ++it;
  }
}

} // namespace

readiness_result check_readiness(const readiness_queue& queue, const slot_cache& local,
                                 const std::optional<leader_catalog_xmins>& leader,
                                 const std::optional<std::string>& physical_slot) {
  readiness_result r;
  r.queue = queue;
  if (queue.pending.empty() || !leader) {
    prune_ready(r, local, std::nullopt);
    return r;
  }
  auto phys = physical_slot ? leader->find(*physical_slot) : leader->end();
  if (phys == leader->end()) {
    auto name = physical_slot.value_or("");
    r.diagnostics.push_back({severity::warning, diagnostic_code::primary_slot_missing, name,
                             "Physical slot " + name + " does not exist on the primary"});
    return r;
  }
  const auto physical_xmin = phys->second;
  if (!physical_xmin) {
    // §2.3.19: feedback is not reaching the primary (yet).
    r.check_hot_standby_feedback = true;
    r.diagnostics.push_back({severity::warning, diagnostic_code::hot_standby_feedback_needed, phys->first,
                             "Physical slot " + phys->first +
                                 " on the primary has no catalog_xmin: logical slot failover requires "
                                 "hot_standby_feedback"});
    return r;
  }
  for (auto& [name, xmin] : r.queue.pending) {
    auto row = leader->find(name);
    if (!xmin && row != leader->end())
      xmin = row->second;
  }
  prune_ready(r, local, physical_xmin);
  return r;
}

std::vector<slot_verdict> judge_desired_logical_slots(const desired_set& desired, const slot_cache& local,
                                                      const readiness_queue& queue, int server_major,
                                                      const std::vector<failover_slot_state>& failover_slots,
                                                      const slot_positions& leader) {
  std::vector<slot_verdict> out;
  for (const auto& [name, d] : desired) {
    if (d.type != slot_type::logical)
      continue;
    slot_verdict v{name, false, ""};
    if (has_failover_slots(server_major) && d.failover) {
      auto f = std::find_if(failover_slots.begin(), failover_slots.end(),
                            [&](const failover_slot_state& s) { return s.name == name; });
      if (f == failover_slots.end())
        v.reason = "missing: PostgreSQL has not synced it here yet";
      else if (!is_failover_slot_ready(*f))
        v.reason = "not ready: PostgreSQL's synced copy is not persistent yet (synced, temporary or invalidated)";
      else
        v.ready = true;
      out.push_back(std::move(v));
      continue;
    }
    auto it = local.find(name);
    if (it == local.end())
      v.reason = "missing: not copied from the leader yet";
    else if (has_wal_status(server_major) && it->second.wal_status == "lost")
      v.reason = "lost: its WAL was removed here, or a recovery conflict invalidated it";
    else if (queue.pending.contains(name))
      v.reason = "not proven safe yet: the primary's physical slot for this node does not hold a catalog_xmin "
                 "that covers it (hot_standby_feedback)";
    else if (!it->second.confirmed_flush_lsn)
      v.reason = "being created: no confirmed_flush_lsn yet";
    else if (auto ahead = copy_ahead_of_leader(name, it->second, leader))
      v.reason = std::move(*ahead);
    else
      v.ready = true;
    out.push_back(std::move(v));
  }
  return out;
}

node_readiness judge_node_readiness(const node_readiness_input& in) {
  node_readiness out;
  if (in.holds_lead) {
    out.ready = true;
    return out;
  }
  if (in.role_known)
    for (const auto& v : in.slots)
      if (!v.ready) {
        out.unready.push_back(v.name);
        out.reasons[v.name] = v.reason;
      }
  const bool leader_known = !in.told_replica || (in.has_leader && in.planned_with_leader);
  out.ready = in.role_known && in.local_seen && leader_known && out.unready.empty() &&
              in.standby_protection_gap.empty();
  if (!in.local_seen)
    out.reason = "the local server has not been seen yet";
  else if (!in.role_known)
    out.reason = "no role yet";
  else if (!leader_known)
    out.reason = "the leader is not known yet (the local server streams from no member of the view)";
  else if (!in.standby_protection_gap.empty())
    out.reason = in.standby_protection_gap;
  return out;
}

} // namespace slotd::model
