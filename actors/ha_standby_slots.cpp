// PostgreSQL 17+ synchronized_standby_slots as the HA loop shows it
// (docs/slot-rules.md §4.8): on a primary, which failover-capable replicas
// the setting in force lists, which stream, which are left out and for how
// long; on a replica, whether its leader leaves it out. Plain functions over
// the state; the rules are in pg/model/failover_slots.
#include <algorithm>
#include <cmath>

#include "actors/ha_state.hpp"
#include "pg/model/failover_slots.hpp"
#include "pg/model/version_gates.hpp"

namespace slotd::actors {


namespace {

// Failover slots are in use here: 17+ and a permanent slot declared failover.
bool in_use(const ha_state& st) {
  return st.local_snap && model::has_failover_slots(server_major(st)) && model::has_failover_permanent_slots(st.view);
}

// A primary that has read its setting in force (told primary and out of
// recovery: st.role is only settled later in the cycle).
bool primary_knows(const ha_state& st) {
  return in_use(st) && st.told == model::told_role::primary && !st.local_snap->in_recovery &&
         st.local_snap->synchronized_standby_slots;
}

std::string joined(const std::vector<std::string>& names) { return model::synchronized_standby_slots_value(names); }

// The last sample of the leader this replica follows, unless that server
// was in recovery (a former primary's stale setting says nothing).
const leader_snapshot* primary_sample(const ha_state& st) {
  auto* sample = followed_leader_sample(st);
  return sample && !sample->in_recovery ? sample : nullptr;
}

std::optional<std::string> leader_setting(const ha_state& st) {
  auto* sample = primary_sample(st);
  return sample ? sample->synchronized_standby_slots : std::nullopt;
}

// What the primary decides with this cycle (as ha_input's make_input).
model::standby_slots_input standby_input_of(const ha_state& st) {
  const auto& f = st.settings.cfg.failover_slots;
  return {st.local_snap->synchronized_standby_slots, st.local_snap->standby_senders, f.min_standbys,
          f.leave_out_after, st.not_streaming, ha_now(st)};
}

} // namespace

void observe_standby_slots(ha_state& st) {
  auto now = ha_now(st);
  bool reduced = primary_knows(st) &&
                 !model::standby_slots_left_out(st.view, st.my_name(), st.local_snap->synchronized_standby_slots).empty();
  st.reduced_protection.observe(reduced, now);
  if (!primary_knows(st))
    st.not_streaming.clear();
  else if (st.local_snap->standby_senders)
    st.not_streaming =
        model::track_not_streaming(st.not_streaming, st.view, st.my_name(), *st.local_snap->standby_senders, now);
}

void observe_streaming(ha_state& st) {
  auto* sample = primary_sample(st);
  if (holds_lead(st) || !sample || !st.local_snap || !in_use(st)) {
    st.stream_watch = {};
    return;
  }
  auto evidence = model::not_streaming_evidence(st.local_snap->wal_receiver, sample->slots,
                                                model::slot_name_from_member_name(st.my_name()));
  // The leader answered after the local server was read: it is alive.
  bool answered_since = st.leader_error.empty() && st.leader_answered_at >= st.local_seen_at;
  st.stream_watch = model::watch_streaming(st.stream_watch, evidence, answered_since);
}

std::string protection_gap_here(const ha_state& st) {
  auto* sample = primary_sample(st);
  if (holds_lead(st) || !sample || !st.leader || !st.local_snap)
    return "";
  model::standby_protection_input in;
  in.my_name = st.my_name();
  in.leader = *st.leader;
  in.server_major = server_major(st);
  in.leader_value = sample->synchronized_standby_slots;
  in.leader_slots = sample->slots;
  in.consumers_confirmed = sample->failover_confirmed;
  in.stopped_streaming = st.stream_watch.latched;
  return model::standby_protection_gap(st.view, in);
}

std::optional<bool> standby_listed_here(const ha_state& st) {
  auto value = leader_setting(st);
  if (!in_use(st) || holds_lead(st) || !value || !st.leader)
    return std::nullopt;
  auto candidates = model::synchronized_standby_slot_names(st.view, *st.leader);
  auto mine = model::slot_name_from_member_name(st.my_name());
  if (!std::binary_search(candidates.begin(), candidates.end(), mine))
    return std::nullopt; // never waited for (nofailover, nostream, cascading)
  auto left_out = model::standby_slots_left_out(st.view, *st.leader, value);
  return std::find(left_out.begin(), left_out.end(), mine) == left_out.end();
}

void standby_slots_into(const ha_state& st, failover_view& out, std::vector<alert>& alerts) {
  if (!in_use(st))
    return;
  if (!holds_lead(st)) {
    standby_listing_view listing{standby_listed_here(st), protection_gap_here(st)};
    if (!listing.protection_gap.empty())
      alerts.push_back({"not ready to take over: " + listing.protection_gap});
    out.listing = std::move(listing);
    return;
  }
  const auto& snap = *st.local_snap;
  standby_slots_view v;
  v.setting = snap.synchronized_standby_slots;
  v.min_standbys = st.settings.cfg.failover_slots.min_standbys;
  v.reduced_protection_seconds = st.reduced_protection.seconds(ha_now(st));
  if (primary_knows(st) && snap.standby_senders) {
    auto left_out = model::standby_slots_left_out(st.view, st.my_name(), snap.synchronized_standby_slots);
    auto choice = model::choose_synchronized_standby_slots(st.view, st.my_name(), standby_input_of(st));
    if (!left_out.empty())
      alerts.push_back({"reduced protection: synchronized_standby_slots leaves out " + joined(left_out) +
                        " (not streaming): the consumers of failover slots may get ahead of "
                        "them, and they are not ready to take over"});
    if (!choice.kept_waiting.empty())
      alerts.push_back({"the consumers of failover slots wait for " + joined(choice.kept_waiting) +
                        ", which does not stream (failover_slots.leave_out_after, min_standbys)"});
    v.chosen = standby_slots_view::choice{choice.streaming, left_out, choice.kept_waiting};
  }
  out.standby = std::move(v);
}

} // namespace slotd::actors
