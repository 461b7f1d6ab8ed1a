// What the HA loop shows of each slot for operators (pg/model/slot_figures
// and pg/model/wal_guard): the figures of GET /status and /metrics, and the
// WAL-retention guard's verdict. Plain functions over the state.
#include <cmath>

#include <fmt/format.h>

#include "actors/ha_state.hpp"

namespace slotd::actors {

using json = nlohmann::json;

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
json wal_guard_json(const ha_state& st, json& alerts) {
  auto v = wal_guard_of(st);
  auto opt = [](const auto& x) { return x ? json(*x) : json(nullptr); };
  json slots = json::object();
  for (auto& s : v.slots) {
    slots[s.name] = {{"kept_bytes", s.kept}, {"level", model::to_string(s.level)}, {"threshold", opt(s.threshold)}};
    if (s.level != model::retention_level::ok)
      alerts.push_back({{"slot", s.name},
                        {"alert", fmt::format("slot keeps {} bytes of WAL, at or past its retention {} of {} bytes",
                                              s.kept, model::to_string(s.level), *s.threshold)}});
  }
  if (v.forecast_alert)
    alerts.push_back({{"alert", fmt::format("pg_wal's file system fills in about {:.0f} s at the rate slots keep WAL "
                                            "({:.0f} bytes/s, {} bytes free)",
                                            *v.full_forecast_seconds, *v.growth_bytes_per_second, *v.free_bytes)}});
  return {{"slots", slots},
          {"free_bytes", opt(v.free_bytes)},
          {"free_error", st.wal_free_error.empty() ? json(nullptr) : json(st.wal_free_error)},
          {"growth_bytes_per_second", opt(v.growth_bytes_per_second)},
          {"full_forecast_seconds", opt(v.full_forecast_seconds)}};
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

// A slot's figures for operators (pg/model/slot_figures.hpp) into its
// /status entry; unknown figures are null.
void add_slot_figures(json& js, const model::slot_figures& f) {
  auto opt = [](const auto& v) { return v ? json(*v) : json(nullptr); };
  auto seconds = [](std::optional<double> v) { return v ? json(std::round(*v * 1000) / 1000) : json(nullptr); };
  js["retained_bytes"] = opt(f.retained_bytes);
  js["wal_status"] = opt(f.wal_status);
  js["safe_wal_size"] = opt(f.safe_wal_size);
  js["unmoved_seconds"] = seconds(f.unmoved_seconds);
  if (f.unmoved_at_least)
    js["unmoved_seconds_at_least"] = true;
  if (f.type == model::slot_type::logical)
    js["confirmed_lag_bytes"] = opt(f.confirmed_lag_bytes);
  if (f.active) {
    json c = nullptr;
    if (f.consumer)
      c = {{"application_name", opt(f.consumer->application_name)},
           {"client_addr", opt(f.consumer->client_addr)},
           {"backend_start", f.consumer->backend_start ? json(iso_time(*f.consumer->backend_start)) : json(nullptr)},
           {"backend_type", opt(f.consumer->backend_type)}};
    js["consumer"] = c;
  } else {
    js["last_active"] = f.last_active ? json(iso_time(*f.last_active)) : json(nullptr);
    js["inactive_seconds"] = seconds(f.inactive_seconds);
  }
}

} // namespace slotd::actors
