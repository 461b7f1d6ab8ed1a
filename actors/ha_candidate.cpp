// GET /candidate: this node's answer to "can I be promoted without any
// consumer of a permanent logical slot losing changes?" (the rule:
// pg/model/candidate.hpp judge_candidate), with the figures an HA manager
// ranks candidates by. Answers from the last samples when the leader is
// gone, and says how old they are.
#include <cmath>

#include "actors/ha_state.hpp"

namespace slotd::actors {

namespace {

using json = nlohmann::json;

json opt_lsn(const std::optional<pg::lsn>& l) { return l ? json(l->str()) : json(nullptr); }

json slot_json(const model::candidate_slot& c) {
  json out = {{"ready", c.ready},     {"present", c.present},     {"lost", c.lost},
              {"lsn", opt_lsn(c.lsn)}, {"leader_lsn", opt_lsn(c.leader_lsn)}};
  if (!c.ready)
    out["reason"] = c.reason;
  if (c.behind) {
    out["bytes_behind"] = c.behind->bytes;
    out["seconds_behind"] = std::round(c.behind->seconds * 1000) / 1000;
    if (c.behind->at_least)
      out["seconds_behind_at_least"] = true;
  } else {
    out["bytes_behind"] = nullptr;
    out["seconds_behind"] = nullptr;
  }
  if (c.synced)
    out["synced"] = *c.synced;
  if (c.temporary)
    out["temporary"] = *c.temporary;
  return out;
}

} // namespace

json candidate_json(const ha_state& st, bool& loses_nothing) {
  model::candidate_input in;
  in.holds_lead = holds_lead(st);
  in.local_reachable = st.local_snap.has_value() && st.local_error.empty();
  in.in_recovery = !st.local_snap || st.local_snap->in_recovery;
  in.copying = st.copying;
  in.restarting = st.restarting;
  in.server_down = st.server_down;
  in.server_major = server_major(st);
  in.readiness = node_readiness_of(st);
  if (st.told)
    in.verdicts = desired_verdicts(st);
  in.local = visible_local_slots(st);
  // Figures only against the leader this node follows.
  if (auto* sample = followed_leader_sample(st)) {
    in.leader_slots = sample->slots;
    in.history = &st.leader_positions;
  }
  if (st.local_snap)
    in.failover_slots = st.local_snap->failover_slots;
  auto v = model::judge_candidate(in);
  loses_nothing = v.loses_nothing;

  json slots = json::object();
  for (auto& c : v.slots)
    slots[c.name] = slot_json(c);
  const auto* me = [&]() -> const model::member* {
    auto m = st.view.members.find(st.my_name());
    return m == st.view.members.end() ? nullptr : &m->second;
  }();
  json leader_sample = nullptr;
  if (st.leader_snap && !in.holds_lead) {
    auto age = std::chrono::duration<double>(wall_clock::now() - st.leader_snap->as_of).count();
    leader_sample = {{"leader", st.leader_snap->leader},
                     {"as_of", iso_time(st.leader_snap->as_of)},
                     {"age_seconds", std::round(age * 1000) / 1000},
                     {"current_lsn", opt_lsn(st.leader_snap->current_lsn)},
                     {"error", st.leader_error.empty() ? json(nullptr) : json(st.leader_error)}};
  }
  // Where the members' agents answer (slotctl candidates asks them all).
  json members = json::object();
  for (auto& [name, m] : st.view.members)
    members[name] = {{"api", m.api ? json(*m.api) : json(nullptr)}, {"nofailover", m.tags.nofailover}};
  const auto& snap = st.local_snap;
  return {{"name", st.my_name()},
          {"role", role_name(st)},
          {"leader", in.holds_lead ? json(st.my_name()) : st.leader ? json(*st.leader) : json(nullptr)},
          {"loses_nothing", v.loses_nothing},
          {"reasons", v.reasons},
          {"nofailover", me && me->tags.nofailover},
          {"receive_lsn", snap ? opt_lsn(snap->receive_lsn) : json(nullptr)},
          {"replay_lsn", snap ? opt_lsn(snap->replay_lsn) : json(nullptr)},
          {"current_lsn", snap ? opt_lsn(snap->current_lsn) : json(nullptr)},
          {"timeline", snap && snap->timeline ? json(*snap->timeline) : json(nullptr)},
          {"copying", st.copying},
          {"restarting", st.restarting},
          {"slots_behind", v.slots_behind},
          {"bytes_behind", v.bytes_behind},
          {"slots", slots},
          {"leader_sample", leader_sample},
          {"members", members},
          {"as_of", iso_time(snap ? snap->as_of : wall_clock::time_point{})}};
}

} // namespace slotd::actors
