// What the HA loop shows of each slot for operators (pg/model/slot_figures
// and pg/model/wal_guard): the figures of GET /status and /metrics, and the
// WAL-retention guard's verdict. Plain functions over the state; app/api
// renders them.
#include <fmt/format.h>

#include "actors/ha_state.hpp"

namespace slotd::actors {

std::optional<double> leader_sample_age(const ha_state& st) {
  if (st.told != model::told_role::replica || !st.leader || st.leader_positions.leader != *st.leader ||
      !st.leader_positions.newest)
    return std::nullopt;
  return std::max(0.0, std::chrono::duration<double>(wall_clock::now() - *st.leader_positions.newest).count());
}

model::wal_guard_verdict wal_guard_of(const ha_state& st) {
  return model::judge_wal_retention(slot_figures_of(st), st.view.slots, st.wal_usage, st.wal_free_bytes,
                                    ha_now(st));
}

// The guard's verdict for /status, and its alerts.
wal_guard_view wal_guard_view_of(const ha_state& st, std::vector<alert>& alerts) {
  auto v = wal_guard_of(st);
  for (auto& s : v.slots)
    if (s.level != model::retention_level::ok)
      alerts.push_back({fmt::format("slot keeps {} bytes of WAL, at or past its retention {} of {} bytes", s.kept,
                                    model::to_string(s.level), *s.threshold),
                        s.name, ""});
  if (v.forecast_alert)
    alerts.push_back({fmt::format("pg_wal's file system fills in about {:.0f} s at the rate slots keep WAL "
                                  "({:.0f} bytes/s, {} bytes free)",
                                  *v.full_forecast_seconds, *v.growth_bytes_per_second, *v.free_bytes)});
  return {std::move(v), st.wal_free_error};
}

std::vector<model::slot_figures> slot_figures_of(const ha_state& st) {
  auto slots = visible_local_slots(st);
  model::slot_figures_input in;
  in.slots = &slots;
  if (st.local_snap) {
    const auto& snap = *st.local_snap;
    in.head = snap.in_recovery ? snap.replay_lsn : snap.current_lsn;
    if (snap.in_recovery && snap.receive_lsn && (!snap.replay_lsn || *snap.receive_lsn > *snap.replay_lsn))
      in.wal_end = snap.receive_lsn;
  }
  bool leads = st.role == model::node_role::primary || st.role == model::node_role::promoting;
  in.replica = !leads && st.leader && st.leader_positions.leader == *st.leader;
  in.leader = &st.leader_positions;
  in.watch = &st.slot_watch;
  in.details = &st.slot_details.details;
  in.now = wall_clock::now();
  return model::compute_slot_figures(in);
}

} // namespace slotd::actors
