#include "pg/model/slot_plan.hpp"

#include <algorithm>

#include "pg/model/failover_slots.hpp"
#include "pg/model/version_gates.hpp"

namespace slotd::model {

std::string_view to_string(drop_reason r) {
  switch (r) {
  case drop_reason::unknown: return "unknown slot";
  case drop_reason::wal_status_lost: return "wal_status=lost";
  case drop_reason::value_changed: return "value is changing";
  case drop_reason::xmin_on_inactive: return "inactive physical slot holds xmin";
  case drop_reason::no_restart_lsn: return "physical slot has no restart_lsn";
  case drop_reason::failover_not_synced: return "failover=true and synced=false";
  case drop_reason::retention_limit: return "inactive at its retention limit, action drop_inactive";
  }
  return "unknown";
}

namespace {

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// One cycle's working state: `work` holds the local slots still present,
// assuming every planned drop succeeds.
class planner {
public:
  planner(const cycle_input& in, plan& out) : in_(in), out_(out) {}

  void run() {
    out_.role = node_role_of(in_.told, in_.in_recovery);
    out_.retention = in_.retention;
    if (!is_supported_major(in_.server_major)) {
      report(severity::error, diagnostic_code::unsupported_version, "",
             "PostgreSQL " + std::to_string(in_.server_major) + " is not supported (12 to 18)");
      return;
    }
    if (out_.role == node_role::role_mismatch) {
      report(severity::error, diagnostic_code::role_mismatch, "",
             "told replica but the local server is not in recovery: no slot changes");
      return;
    }
    work_ = visible_slots(in_.local, in_.server_major);
    node_.my_name = in_.my_name;
    node_.leader = in_.told == told_role::primary ? std::optional<std::string>(in_.my_name) : in_.leader;
    node_.role = out_.role;
    compute_desired();
    drop_failover_not_synced_slots();
    drop_unknown_and_lost_slots();
    drop_changed_slots();
    drop_over_retention_limit();
    ensure_physical_slots();
    if (out_.role == node_role::primary) {
      ensure_logical_slots_primary();
      out_.synchronized_standby_slots = synchronized_standby_slots_change(
          in_.view, in_.my_name, in_.server_major,
          {in_.synchronized_standby_slots, in_.standby_senders, in_.min_standbys, in_.leave_out_after,
           in_.not_streaming, in_.now});
    }
    else if (out_.role == node_role::replica)
      ensure_logical_slots_replica();
    // promoting: the server cannot create logical slots yet, the leader is
    // me so there is nothing to copy or advance from.
  }

private:
  void report(severity level, diagnostic_code code, const std::string& slot, std::string text) {
    out_.diagnostics.push_back({level, code, slot, std::move(text)});
  }

  // Plans a drop unless the slot is active or pause forbids it; false when
  // not dropped.
  bool drop(const std::string& name, drop_reason reason) {
    if (auto it = work_.find(name); it != work_.end() && it->second.active) {
      // Never drop an active slot: PostgreSQL would refuse and its consumer
      // would lose its position; retried every cycle until inactive (patroni#2502).
      report(severity::warning, diagnostic_code::slot_active, name,
             "unable to drop replication slot " + name + " (" + std::string(to_string(reason)) +
                 "): slot is active");
      return false;
    }
    if (in_.paused) {
      report(severity::info, diagnostic_code::not_dropped_paused, name,
             "not dropping slot " + name + " (" + std::string(to_string(reason)) + "): paused");
      return false;
    }
    out_.drops.push_back({name, reason});
    work_.erase(name);
    return true;
  }

  // docs/slot-rules.md §3.8 with §3.10: retention clock, then the desired
  // set. The positions are the leader's; on the leader itself they are its
  // own slots'.
  void compute_desired() {
    positions_ = holds_leader_role(out_.role) ? positions_of(work_) : in_.leader_positions;
    auto retention = update_retention(in_.retention, in_.view, in_.my_name, in_.now);
    for (const auto& slot : retention.expired)
      report(severity::info, diagnostic_code::member_slot_expired, slot,
             "slot " + slot + " for absent cluster member is expired after " +
                 std::to_string(std::chrono::duration_cast<std::chrono::seconds>(in_.view.member_slots_ttl).count()) +
                 " sec");
    out_.retention = std::move(retention.state);
    out_.desired = desired_slots(in_.view, node_, positions_, retention.retained, out_.diagnostics);
  }

  // §2.3.10, §3.13 rule 6 (17+): on a standby following another leader, a
  // failover slot that is not synced blocks PostgreSQL's slotsync worker
  // (the former primary's slots after a switchover): drop it.
  void drop_failover_not_synced_slots() {
    if (!has_failover_slots(in_.server_major) || out_.role != node_role::replica || !node_.leader ||
        *node_.leader == in_.my_name)
      return;
    for (const auto& [name, slot] : slot_cache(work_))
      if (slot.type == slot_type::logical && slot.failover && !slot.synced)
        drop(name, drop_reason::failover_not_synced);
  }

  // §2.3.11 pass 1, §3.13 rules 1, 2 and 7: not desired, or desired but
  // lost (13+) → drop, unless ignored; 17+ failover logical slots belong to
  // the user and PostgreSQL, never to us.
  void drop_unknown_and_lost_slots() {
    for (const auto& [name, slot] : slot_cache(work_)) {
      if (has_failover_slots(in_.server_major) && slot.type == slot_type::logical && slot.failover)
        continue;
      const bool desired = out_.desired.contains(name);
      const bool lost = desired && is_lost(slot);
      if ((desired && !lost) || is_ignored(in_.view.ignore_slots, slot))
        continue;
      if (lost && recopied_in_place(name))
        continue;
      drop(name, lost ? drop_reason::wal_status_lost : drop_reason::unknown);
    }
  }

  // §2.3.11 pass 2, §3.13 rule 3: a desired slot whose type, or logical
  // database/plugin, differs from the local one is dropped (ignore_slots
  // does not protect it) and recreated or re-copied below.
  void drop_changed_slots() {
    for (const auto& [name, d] : out_.desired) {
      auto it = work_.find(name);
      if (it != work_.end() && !compare_slots(d.shape(), it->second))
        drop(name, drop_reason::value_changed);
    }
  }

  // §3.13 rule 8 (docs/operations.md, WAL-retention guard): on the primary,
  // a permanent slot with `retention: {limit, action: drop_inactive}` whose
  // consumer is at least `limit` behind (a logical slot's confirmed_flush_lsn,
  // a physical slot's restart_lsn, to the current WAL position) and that has
  // been seen inactive for `inactive_for` is dropped; never while active or
  // paused (drop() says so instead). It is created again below: its consumer
  // must resynchronise. Only a slot the view makes permanent (a member's
  // slot of the same name keeps its own rules).
  void drop_over_retention_limit() {
    if (out_.role != node_role::primary || !in_.current_lsn)
      return;
    for (const auto& [name, p] : in_.view.slots) {
      if (p.retention.action != retention_action::drop_inactive || !p.retention.limit)
        continue;
      auto d = out_.desired.find(name);
      if (d == out_.desired.end() || d->second.origin != slot_origin::permanent || d->second.type != p.type)
        continue;
      auto it = work_.find(name);
      if (it == work_.end() || it->second.type != p.type)
        continue;
      const auto behind_from = position_of(it->second);
      if (!behind_from)
        continue;
      const auto behind = in_.current_lsn->bytes_after(*behind_from);
      auto idle = in_.inactive_for.find(name);
      if (behind < *p.retention.limit || idle == in_.inactive_for.end() || idle->second < p.retention.inactive_for)
        continue;
      if (drop(name, drop_reason::retention_limit))
        report(severity::warning, diagnostic_code::retention_drop, name,
               "dropping slot " + name + ": its consumer is " + std::to_string(behind >> 20) +
                   " MiB behind, at least its retention limit of " + std::to_string(*p.retention.limit >> 20) +
                   " MiB, and it has been inactive for " + std::to_string(idle->second.count() / 1000) +
                   " s (action drop_inactive); it is created again, and its consumer must resynchronise: the "
                   "changes in between are gone");
    }
  }

  // §2.3.12: an inactive slot's frozen xmin pins the primary's horizon
  // through hot_standby_feedback (patroni#3146); drop it only when a leader exists
  // and it is not me still in recovery (patroni#3244).
  bool clean_inactive() const {
    return out_.role == node_role::primary ||
           (out_.role == node_role::replica && node_.leader && *node_.leader != in_.my_name);
  }

  // §2.3.12 and §3.12, §3.13 rules 4 and 5.
  void ensure_physical_slots() {
    const bool clean = clean_inactive();
    for (const auto& [name, d] : out_.desired) {
      if (d.type != slot_type::physical)
        continue;
      auto it = work_.find(name);
      if (it == work_.end()) {
        out_.physical_creates.push_back(name);
        continue;
      }
      const local_slot& have = it->second;
      if (have.type != slot_type::physical)
        continue; // a changed slot kept because paused
      if (clean && d.expected_active == false && have.xmin) {
        if (drop(name, drop_reason::xmin_on_inactive))
          out_.physical_creates.push_back(name);
        continue;
      }
      if (d.expected_active == true || have.xmin)
        continue;
      if (!have.restart_lsn || have.restart_lsn->is_zero()) {
        // Created by someone else without reserving WAL: advancing it errors
        // "cannot be advanced" (patroni#3388); recreated next cycle with reservation.
        drop(name, drop_reason::no_restart_lsn);
        continue;
      }
      if (d.lsn && *d.lsn > *have.restart_lsn)
        out_.physical_advances.push_back({name, *d.lsn});
    }
  }

  // §2.3.14: create the missing permanent logical slots on the primary.
  void ensure_logical_slots_primary() {
    for (const auto& [name, d] : out_.desired) {
      if (d.type != slot_type::logical || work_.contains(name) || synced_here(name))
        continue;
      out_.logical_creates.push_back(
          {name, d.database, d.plugin, d.failover && has_failover_slots(in_.server_major)});
    }
  }

  // §2.3.15 and §4.3: copy a missing slot once the leader publishes it;
  // advance an existing one to min(leader position, replay LSN) when that is
  // ahead of its confirmed_flush_lsn (never backwards, patroni#3356).
  void ensure_logical_slots_replica() {
    for (const auto& [name, d] : out_.desired) {
      if (d.type != slot_type::logical)
        continue;
      if (d.failover && has_failover_slots(in_.server_major))
        continue; // 17+: PostgreSQL's slotsync keeps failover slots
      auto pos = positions_.find(name);
      auto it = work_.find(name);
      if (it == work_.end()) {
        if (pos != positions_.end() && !owned_by_slotsync(name))
          copy(name, in_.local.contains(name));
        continue;
      }
      if (!compare_slots(d.shape(), it->second))
        continue; // a changed slot kept because paused
      if (contains(in_.recopy_requests, name) || is_lost(it->second)) {
        if (copy(name, true) && is_lost(it->second))
          report(severity::warning, diagnostic_code::copy_lost, name,
                 "logical slot " + name + " is lost here (its WAL was removed on this replica, or from 16 a "
                 "recovery conflict invalidated it): copying it again from the leader");
        continue; // a slot about to be re-copied is not advanced (patroni#3098)
      }
      if (pos == positions_.end())
        continue;
      if (!in_.replay_lsn) {
        report(severity::info, diagnostic_code::replay_lsn_unknown, name,
               "replay LSN unknown: not advancing logical slot " + name + " this cycle");
        continue;
      }
      const auto target = std::min(pos->second, *in_.replay_lsn);
      const auto& flushed = it->second.confirmed_flush_lsn;
      if (flushed && *flushed < target)
        out_.logical_advances[d.database][name] = target;
    }
  }

  bool is_lost(const local_slot& slot) const {
    return has_wal_status(in_.server_major) && slot.wal_status == "lost";
  }

  // A lost copy of a desired logical slot on a replica (WAL removed, or 16+
  // invalidated by a recovery conflict) is not dropped: the re-copy
  // overwrites it, and it goes through the re-copy limit. Dropped, it would
  // come back next cycle as a first copy that the limit does not count, and
  // the replica would restart in a loop (patroni#3150).
  bool recopied_in_place(const std::string& name) const {
    if (out_.role != node_role::replica)
      return false;
    auto d = out_.desired.find(name);
    return d != out_.desired.end() && d->second.type == slot_type::logical &&
           !(d->second.failover && has_failover_slots(in_.server_major));
  }

  // 17+: a failover slot PostgreSQL synced here (hidden from `local`).
  bool synced_here(const std::string& name) const {
    return has_failover_slots(in_.server_major) &&
           std::any_of(in_.failover_slots.begin(), in_.failover_slots.end(),
                       [&](const failover_slot_state& s) { return s.name == name && s.synced; });
  }

  // 17+: a hidden failover+synced slot of that name is PostgreSQL's
  // slotsync worker's; a copy would overwrite it.
  bool owned_by_slotsync(const std::string& name) const {
    auto it = in_.local.find(name);
    return has_failover_slots(in_.server_major) && it != in_.local.end() && it->second.failover &&
           it->second.synced;
  }

  // Pause stops copies (hands-off). A re-copy (the node had the slot) goes
  // through the rate limit (docs/slot-rules.md Q5). True when the copy is
  // planned.
  bool copy(const std::string& name, bool recopy) {
    if (in_.paused)
      return false;
    if (recopy && !in_.recopies.allows(name, in_.now)) {
      report(severity::error, diagnostic_code::recopy_limited, name,
             "logical slot " + name + " needed more than " + std::to_string(recopy_limiter::max_recopies) +
                 " re-copies within an hour: not copying it again; check hot_standby_feedback, "
                 "max_standby_streaming_delay and WAL retention");
      return false;
    }
    out_.logical_copies.push_back(name);
    if (recopy)
      out_.logical_recopies.push_back(name);
    return true;
  }

  const cycle_input& in_;
  plan& out_;
  slot_cache work_;
  node_context node_;
  slot_positions positions_;
};

} // namespace

plan plan_cycle(const cycle_input& in) {
  plan out;
  planner(in, out).run();
  return out;
}

} // namespace slotd::model
