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

using json = nlohmann::json;

namespace {

// Failover slots are in use here: 17+ and a permanent slot declared failover.
bool in_use(const ha_state& st) {
  return st.local_snap && model::has_failover_slots(server_major(st)) && model::has_failover_permanent_slots(st.view);
}

// A primary that has read its setting in force.
bool primary_knows(const ha_state& st) {
  return in_use(st) && st.role == model::node_role::primary && st.local_snap->synchronized_standby_slots;
}

std::string joined(const std::vector<std::string>& names) { return model::synchronized_standby_slots_value(names); }

} // namespace

void observe_standby_slots(ha_state& st) {
  bool reduced = primary_knows(st) &&
                 !model::standby_slots_left_out(st.view, st.my_name(), st.local_snap->synchronized_standby_slots).empty();
  st.reduced_protection.observe(reduced, std::chrono::steady_clock::now());
}

bool left_out_here(const ha_state& st) {
  auto* sample = followed_leader_sample(st);
  return !holds_lead(st) && sample && st.leader &&
         model::left_out_of_standby_slots(st.view, st.my_name(), *st.leader, server_major(st),
                                          sample->synchronized_standby_slots);
}

std::optional<bool> standby_listed_here(const ha_state& st) {
  auto* sample = followed_leader_sample(st);
  if (!in_use(st) || holds_lead(st) || !sample || !sample->synchronized_standby_slots || !st.leader)
    return std::nullopt;
  auto candidates = model::synchronized_standby_slot_names(st.view, *st.leader);
  if (!std::binary_search(candidates.begin(), candidates.end(), model::slot_name_from_member_name(st.my_name())))
    return std::nullopt; // never waited for (nofailover, nostream, cascading)
  return !left_out_here(st);
}

json standby_slots_json(const ha_state& st, json& alerts) {
  if (!in_use(st))
    return nullptr;
  if (!holds_lead(st)) {
    auto listed = standby_listed_here(st);
    if (listed == false)
      alerts.push_back({{"alert", "not in the leader's synchronized_standby_slots (this replica did not stream): "
                                  "not ready, the consumers of failover slots may have changes it lacks"}});
    return {{"in_leader_synchronized_standby_slots", listed ? json(*listed) : json(nullptr)}};
  }
  const auto& snap = *st.local_snap;
  json out = {{"synchronized_standby_slots", snap.synchronized_standby_slots ? json(*snap.synchronized_standby_slots)
                                                                              : json(nullptr)},
              {"min_standbys", st.settings.cfg.failover_slots.min_standbys},
              {"reduced_protection_seconds_total",
               std::round(st.reduced_protection.seconds(std::chrono::steady_clock::now()) * 1000) / 1000}};
  if (!primary_knows(st) || !snap.standby_senders)
    return out;
  auto left_out = model::standby_slots_left_out(st.view, st.my_name(), snap.synchronized_standby_slots);
  auto choice = model::choose_synchronized_standby_slots(st.view, st.my_name(), *snap.standby_senders,
                                                         snap.synchronized_standby_slots,
                                                         st.settings.cfg.failover_slots.min_standbys);
  out["streaming"] = choice.streaming;
  out["left_out"] = left_out;
  out["kept_waiting"] = choice.kept_waiting;
  if (!left_out.empty())
    alerts.push_back({{"alert", "reduced protection: synchronized_standby_slots leaves out " + joined(left_out) +
                                    " (not streaming): the consumers of failover slots may get ahead of "
                                    "them, and they are not ready to take over"}});
  if (!choice.kept_waiting.empty())
    alerts.push_back({{"alert", "the consumers of failover slots wait for " + joined(choice.kept_waiting) +
                                    ", which does not stream (failover_slots.min_standbys = " +
                                    std::to_string(st.settings.cfg.failover_slots.min_standbys) + ")"}});
  return out;
}

} // namespace slotd::actors
