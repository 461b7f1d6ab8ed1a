// The HA loop's views (actors/views.hpp) as the HTTP API shows them:
// GET /status, /readiness, /health, /candidate and /final-positions in JSON
// (docs/api.md),
// /metrics in the Prometheus text format. Unknown figures are null.
#include <cmath>

#include <prometheus/text_serializer.h>

#include "actors/json_text.hpp"
#include "app/api/replies.hpp"

namespace slotd::api {

namespace {

using json = nlohmann::json;
using actors::iso_time;

template <class T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}
json opt_text(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }
// Seconds to the millisecond.
double ms_rounded(double seconds) { return std::round(seconds * 1000) / 1000; }
json opt_seconds(std::optional<double> v) { return v ? json(ms_rounded(*v)) : json(nullptr); }

// A slot's figures for operators (pg/model/slot_figures.hpp) in its /status entry.
void add_slot_figures(json& js, const model::slot_figures& f) {
  js["retained_bytes"] = opt(f.retained_bytes);
  js["wal_status"] = opt(f.wal_status);
  js["safe_wal_size"] = opt(f.safe_wal_size);
  js["unmoved_seconds"] = opt_seconds(f.unmoved_seconds);
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
    js["inactive_seconds"] = opt_seconds(f.inactive_seconds);
  }
}

json slot_json(const actors::slot_view& s) {
  const auto& f = s.figures;
  json js = {{"type", std::string(model::to_string(f.type))}, {"lsn", opt_lsn(s.lsn)}, {"active", f.active}};
  if (f.type == model::slot_type::logical) {
    js["database"] = s.database;
    js["plugin"] = s.plugin;
    js["ready"] = s.ready;
    if (s.shows_behind) {
      json b = nullptr;
      if (f.behind_leader) {
        b = {{"bytes", f.behind_leader->bytes}, {"seconds", ms_rounded(f.behind_leader->seconds)}};
        if (f.behind_leader->at_least)
          b["seconds_at_least"] = true;
      }
      js["behind_leader"] = b;
    }
  }
  add_slot_figures(js, f);
  return js;
}

json wal_guard_json(const actors::wal_guard_view& g) {
  const auto& v = g.verdict;
  json slots = json::object();
  for (auto& s : v.slots)
    slots[s.name] = {{"kept_bytes", s.kept}, {"level", model::to_string(s.level)}, {"threshold", opt(s.threshold)}};
  return {{"slots", slots},
          {"free_bytes", opt(v.free_bytes)},
          {"free_error", opt_text(g.free_error)},
          {"growth_bytes_per_second", opt(v.growth_bytes_per_second)},
          {"full_forecast_seconds", opt(v.full_forecast_seconds)}};
}

json failover_json(const actors::failover_view& f) {
  json out = json::object();
  if (!f.error.empty())
    out["error"] = f.error;
  if (f.listing) {
    out["in_leader_synchronized_standby_slots"] = opt(f.listing->listed);
    out["protection_gap"] = opt_text(f.listing->protection_gap);
  }
  if (f.standby) {
    const auto& s = *f.standby;
    out["synchronized_standby_slots"] = opt(s.setting);
    out["min_standbys"] = s.min_standbys;
    out["reduced_protection_seconds_total"] = ms_rounded(s.reduced_protection_seconds);
    if (s.chosen) {
      out["streaming"] = s.chosen->streaming;
      out["left_out"] = s.chosen->left_out;
      out["kept_waiting"] = s.chosen->kept_waiting;
    }
  }
  if (f.leads)
    return out;
  out["prerequisites"] = {{"missing", f.missing_prerequisites}};
  json slots = json::object();
  for (auto& s : f.slots)
    slots[s.name] = s.present ? json{{"present", true},
                                     {"synced", s.synced},
                                     {"temporary", s.temporary},
                                     {"invalidation_reason", opt(s.invalidation_reason)},
                                     {"ready", s.ready}}
                              : json{{"present", false}, {"ready", false}};
  out["slots"] = slots;
  return out;
}

json alert_json(const actors::alert& a) {
  json out = {{"alert", a.text}};
  if (!a.slot.empty())
    out["slot"] = a.slot;
  if (!a.setting.empty())
    out["setting"] = a.setting;
  return out;
}

json copy_json(const std::optional<actors::copy_view>& c) {
  if (!c)
    return nullptr;
  return {{"phase", c->phase},
          {"slots", c->slots},
          {"started_at", iso_time(c->started_at)},
          {"start_attempts", c->start_attempts}};
}

json candidate_slot_json(const model::candidate_slot& c) {
  json out = {{"ready", c.ready},     {"present", c.present},     {"lost", c.lost},
              {"lsn", opt_lsn(c.lsn)}, {"leader_lsn", opt_lsn(c.leader_lsn)}};
  if (!c.ready)
    out["reason"] = c.reason;
  if (c.behind) {
    out["bytes_behind"] = c.behind->bytes;
    out["seconds_behind"] = ms_rounded(c.behind->seconds);
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

json status_json(const actors::status_view& v) {
  json slots = json::object();
  for (auto& s : v.slots)
    slots[s.figures.name] = slot_json(s);
  json alerts = json::array();
  for (auto& a : v.alerts)
    alerts.push_back(alert_json(a));
  return {{"name", v.name},
          {"scope", v.scope},
          {"role", v.role},
          {"leader", opt(v.leader)},
          {"optime", opt_lsn(v.optime)},
          {"paused", v.paused},
          {"restarting", v.restarting},
          {"copy", copy_json(v.copy)},
          {"my_slot_name", v.my_slot_name},
          {"slots", slots},
          {"slot_details_error", opt_text(v.slot_details_error)},
          {"leader_sample_age_seconds", opt_seconds(v.leader_sample_age)},
          {"wal_guard", wal_guard_json(v.wal_guard)},
          {"alerts", alerts},
          {"failover", v.failover ? failover_json(*v.failover) : json(nullptr)},
          {"as_of", iso_time(v.as_of)}};
}

json readiness_json(const actors::readiness_view& v) {
  json out = {{"role", v.role}, {"as_of", iso_time(v.as_of)}, {"ready", v.ready}, {"unready", v.unready}};
  if (v.leads)
    return out;
  out["reasons"] = v.reasons.empty() ? json::object() : json(v.reasons);
  if (!v.reason.empty())
    out["reason"] = v.reason;
  json pending = json::object();
  for (auto& [name, x] : v.pending)
    pending[name] = x ? json(x->value()) : json(nullptr);
  out["pending"] = pending;
  if (v.failover_slots)
    out["failover_slots"] = {{"total", v.failover_slots->total}, {"ready", v.failover_slots->ready}};
  if (v.missing_prerequisites)
    out["missing_prerequisites"] = *v.missing_prerequisites;
  return out;
}

json health_json(const actors::health_view& v) {
  json out = {{"ok", v.ok}, {"loop_runs", v.loop_runs}, {"cycles", v.cycles}, {"role", v.role}};
  if (!v.detail.empty())
    out["detail"] = v.detail;
  return out;
}

json candidate_json(const actors::candidate_view& v) {
  json slots = json::object();
  for (auto& c : v.verdict.slots)
    slots[c.name] = candidate_slot_json(c);
  json leader_sample = nullptr;
  if (v.sample)
    leader_sample = {{"leader", v.sample->leader},
                     {"as_of", iso_time(v.sample->as_of)},
                     {"age_seconds", ms_rounded(v.sample->age_seconds)},
                     {"current_lsn", opt_lsn(v.sample->current_lsn)},
                     {"error", opt_text(v.sample->error)}};
  json members = json::object();
  for (auto& [name, m] : v.members)
    members[name] = {{"api", opt(m.api)}, {"nofailover", m.nofailover}};
  return {{"name", v.name},
          {"role", v.role},
          {"leader", opt(v.leader)},
          {"loses_nothing", v.verdict.loses_nothing},
          {"reasons", v.verdict.reasons},
          {"nofailover", v.nofailover},
          {"receive_lsn", opt_lsn(v.receive_lsn)},
          {"replay_lsn", opt_lsn(v.replay_lsn)},
          {"current_lsn", opt_lsn(v.current_lsn)},
          {"timeline", opt(v.timeline)},
          {"copying", v.copying},
          {"restarting", v.restarting},
          {"slots_behind", v.verdict.slots_behind},
          {"bytes_behind", v.verdict.bytes_behind},
          {"slots", slots},
          {"leader_sample", leader_sample},
          {"members", members},
          {"as_of", iso_time(v.as_of)}};
}

json final_positions_json(const actors::final_positions_reply& r) {
  json slots = json::object();
  for (auto& [name, p] : r.slots)
    slots[name] = {{"confirmed_flush_lsn", p.confirmed_flush.str()},
                   {"restart_lsn", opt_lsn(p.restart_lsn)},
                   {"source", p.from_sample ? "last sample" : "state file"}};
  return {{"name", r.name},
          {"cluster_state", r.cluster_state},
          {"clean_shutdown", r.clean_shutdown},
          {"checkpoint_lsn", opt_lsn(r.checkpoint_lsn)},
          {"slots", slots},
          {"as_of", iso_time(r.as_of)}};
}

std::string metrics_text(const actors::metrics_view& v) { return prometheus::TextSerializer().Serialize(v.families); }

} // namespace slotd::api
