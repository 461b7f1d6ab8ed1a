// What a full cycle plans from: the role (told, or inferred by role auto)
// and the slot model's input, from the HA loop's state and the local
// snapshot.
#include "actors/ha_steps.hpp"
#include "pg/model/auto_role.hpp"
#include "pg/model/topology.hpp"

namespace slotd::actors::ha {

// Role auto (pg/model/auto_role.hpp): the decision, then its effects.
void infer_role(self_ptr self, const local_snapshot& snap) {
  auto& st = self->state;
  model::auto_role_input in;
  in.role_auto = st.settings.cfg.role == config::start_role::automatic;
  in.told = st.told;
  in.told_by_auto = st.role_source == ha_state::role_teller::automatic;
  in.leader = st.leader;
  in.in_recovery = snap.in_recovery;
  in.streams_from = model::member_streamed_from(st.view.members, snap.sender_host, snap.sender_port);
  auto d = model::infer_auto_role(in);
  switch (d.action) {
  case model::auto_role_action::keep:
    return;
  case model::auto_role_action::follow:
    log_ha()->info("role auto: the local server now streams from {}: acting as its replica", *d.leader);
    break;
  case model::auto_role_action::act_as_primary:
    st.told = model::told_role::primary;
    log_ha()->info("role auto: the local server is not in recovery: acting as primary");
    break;
  case model::auto_role_action::act_as_replica:
    st.told = model::told_role::replica;
    if (d.leader)
      log_ha()->info("role auto: the local server streams from {}: acting as its replica", *d.leader);
    else if (should_log(st, "auto-no-leader"))
      log_ha()->warn("role auto: the local server is in recovery but streams from no member of the view ({}:{})",
                     snap.sender_host.value_or("-"), snap.sender_port.value_or(0));
    break;
  }
  st.role_source = ha_state::role_teller::automatic;
  set_leader(self, d.leader);
}

// The last leader sample is of the current leader and was answered.
bool leader_sample_current(const ha_state& st) {
  return *st.told == model::told_role::replica && st.leader_error.empty() && followed_leader_sample(st);
}

model::cycle_input make_input(const ha_state& st, const local_snapshot& snap) {
  model::cycle_input in;
  in.view = st.view;
  in.my_name = st.my_name();
  in.leader = st.leader;
  in.told = *st.told;
  in.in_recovery = snap.in_recovery;
  in.server_major = snap.server_version / 10000;
  in.paused = st.paused;
  in.local = snap.slots;
  if (leader_sample_current(st)) {
    std::optional<std::pair<std::string, pg::lsn>> own;
    if (st.leader_snap->current_lsn)
      own = std::make_pair(model::slot_name_from_member_name(st.leader_snap->leader), *st.leader_snap->current_lsn);
    in.leader_positions = model::positions_of(st.leader_snap->slots, own);
  }
  in.replay_lsn = snap.replay_lsn;
  in.current_lsn = snap.current_lsn;
  // Not primary at the last cycle: the first cycle as primary counts no inactivity.
  const bool was_primary = st.role == model::node_role::primary && st.inactivity_floor;
  in.inactive_for =
      model::inactive_durations(st.slot_watch, snap.as_of, was_primary ? *st.inactivity_floor : snap.as_of);
  in.recopy_requests = st.recopy_requests;
  in.now = ha_now(st);
  in.retention = st.retention;
  in.recopies = st.recopies;
  in.synchronized_standby_slots = snap.synchronized_standby_slots;
  in.standby_senders = snap.standby_senders;
  in.min_standbys = st.settings.cfg.failover_slots.min_standbys;
  in.leave_out_after = st.settings.cfg.failover_slots.leave_out_after;
  in.not_streaming = st.not_streaming;
  in.failover_slots = snap.failover_slots;
  return in;
}

} // namespace slotd::actors::ha
