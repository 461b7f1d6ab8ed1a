// GET /candidate: this node's answer to "can I be promoted without any
// consumer of a permanent logical slot losing changes?" (the rule:
// pg/model/candidate.hpp judge_candidate), with the figures an HA manager
// ranks candidates by. Answers from the last samples when the leader is
// gone, and says how old they are.
#include "actors/ha_state.hpp"

namespace slotd::actors {

candidate_view candidate_of(const ha_state& st) {
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
  candidate_view out;
  out.verdict = model::judge_candidate(in);
  out.name = st.my_name();
  out.role = role_name(st);
  out.leader = in.holds_lead ? std::optional<std::string>(st.my_name()) : st.leader;
  if (auto me = st.view.members.find(st.my_name()); me != st.view.members.end())
    out.nofailover = me->second.tags.nofailover;
  if (const auto& snap = st.local_snap) {
    out.receive_lsn = snap->receive_lsn;
    out.replay_lsn = snap->replay_lsn;
    out.current_lsn = snap->current_lsn;
    out.timeline = snap->timeline;
    out.as_of = snap->as_of;
  }
  out.copying = st.copying;
  out.restarting = st.restarting;
  if (st.leader_snap && !in.holds_lead)
    out.sample = candidate_view::leader_sample{
        st.leader_snap->leader, st.leader_snap->as_of,
        std::chrono::duration<double>(wall_clock::now() - st.leader_snap->as_of).count(),
        st.leader_snap->current_lsn, st.leader_error};
  // Where the members' agents answer (slotctl candidates asks them all).
  for (auto& [name, m] : st.view.members)
    out.members[name] = {m.api, m.tags.nofailover};
  return out;
}

} // namespace slotd::actors
