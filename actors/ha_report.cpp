// What the HA loop shows: GET /status, /readiness, /health, /metrics and
// its part of GET /state. Plain functions over the state: no messages here.
#include <algorithm>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

#include "actors/ha_state.hpp"
#include "pg/model/desired_slots.hpp"
#include "pg/model/failover_slots.hpp"
#include "pg/model/local_slot.hpp"
#include "pg/model/version_gates.hpp"

namespace slotd::actors {

namespace {

using json = nlohmann::json;

json opt_lsn(const std::optional<pg::lsn>& l) { return l ? json(l->str()) : json(nullptr); }
json opt_str(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }
json opt_xid(const std::optional<pg::xid>& x) { return x ? json(x->value()) : json(nullptr); }


model::slot_cache visible(const ha_state& st) { return visible_local_slots(st); }

using model::position_of;


// 17+: a failover slot is PostgreSQL's to sync (pg/model/failover_slots.hpp).
bool is_native_failover(const ha_state& st, const std::string& name) {
  auto d = st.desired.find(name);
  return d != st.desired.end() && model::is_native_failover_slot(d->second.type, d->second.failover, server_major(st));
}

const model::failover_slot_state* failover_state(const ha_state& st, const std::string& name) {
  if (!st.local_snap)
    return nullptr;
  for (auto& f : st.local_snap->failover_slots)
    if (f.name == name)
      return &f;
  return nullptr;
}

// A local logical slot's readiness for /status, /readiness and /metrics.
bool logical_slot_ready(const ha_state& st, const std::string& name) {
  return model::is_local_logical_slot_ready(holds_lead(st), is_native_failover(st, name), failover_state(st, name),
                                            st.readiness.pending.contains(name));
}


// 17+ with failover permanent slots: on a replica, each failover slot's sync
// state and the slotsync prerequisites, each missing one by name; on a
// primary, the synchronized_standby_slots in force and the replicas it
// leaves out (standby_slots_into, whose alerts go to `alerts`). None when
// not relevant.
std::optional<failover_view> failover_of(const ha_state& st, std::vector<alert>& alerts) {
  if (!st.local_snap || !model::has_failover_slots(server_major(st)) ||
      !model::has_failover_permanent_slots(st.view))
    return std::nullopt;
  const auto& snap = *st.local_snap;
  failover_view out;
  out.error = snap.failover_error;
  standby_slots_into(st, out, alerts);
  out.leads = holds_lead(st);
  if (out.leads)
    return out;
  out.missing_prerequisites = model::missing_sync_prerequisites(snap.sync_settings);
  for (auto& setting : out.missing_prerequisites)
    alerts.push_back({"failover slots are not synced: " + setting + " is not set", "", setting});
  for (auto& [name, d] : st.desired)
    if (is_native_failover(st, name) && !failover_state(st, name))
      out.slots.push_back({name, false, false, false, std::nullopt, false});
  for (auto& f : snap.failover_slots)
    out.slots.push_back({f.name, true, f.synced, f.temporary, f.invalidation_reason, model::is_failover_slot_ready(f)});
  std::sort(out.slots.begin(), out.slots.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

} // namespace

bool slot_ready_here(const ha_state& st, const std::string& name) { return logical_slot_ready(st, name); }

model::slot_cache visible_local_slots(const ha_state& st) {
  if (!st.local_snap)
    return {};
  return model::visible_slots(st.local_snap->slots, server_major(st));
}

std::vector<model::slot_verdict> desired_verdicts(const ha_state& st) {
  static const std::vector<model::failover_slot_state> none;
  // The last sample of the leader in force, reachable now or not (a copy
  // ahead of it stays unready while the leader is gone).
  model::slot_positions leader;
  if (auto* sample = followed_leader_sample(st))
    leader = model::positions_of(sample->slots);
  auto out = model::judge_desired_logical_slots(st.desired, visible(st), st.readiness, server_major(st),
                                                st.local_snap ? st.local_snap->failover_slots : none, leader);
  if (!holds_lead(st))
    for (auto& name : model::uncopied_as_nofailover(st.view, st.my_name()))
      out.push_back({name, false, model::uncopied_as_nofailover_reason});
  return out;
}

model::node_readiness node_readiness_of(const ha_state& st) {
  model::node_readiness_input in;
  in.local_seen = st.local_snap.has_value();
  in.role_known = st.told.has_value();
  in.holds_lead = holds_lead(st);
  in.told_replica = st.told == model::told_role::replica;
  in.has_leader = st.leader.has_value();
  in.planned_with_leader = st.desired_leader == st.leader;
  if (st.told)
    in.slots = desired_verdicts(st);
  in.standby_protection_gap = protection_gap_here(st);
  return model::judge_node_readiness(in);
}

std::string iso_time(wall_clock::time_point t) {
  if (t == wall_clock::time_point{})
    return "";
  auto secs = wall_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

std::string role_name(const ha_state& st) {
  if (!st.told)
    return st.settings.cfg.role == config::start_role::wait ? "waiting" : "unknown";
  return std::string(model::to_string(st.role));
}

// The slot copy under way, or none.
static std::optional<copy_view> copy_of(const ha_state& st) {
  if (st.copy.phase == copy_phase::idle)
    return std::nullopt;
  return copy_view{to_string(st.copy.phase), st.copy.slots, st.copy.started_at, st.copy.start_attempts};
}

status_view status_of(const ha_state& st) {
  status_view v;
  auto local = visible(st);
  bool replica = !holds_lead(st) && st.told == model::told_role::replica;
  for (auto& f : slot_figures_of(st)) {
    const auto& s = local.at(f.name);
    slot_view sv;
    sv.lsn = position_of(s);
    if (s.type == model::slot_type::logical) {
      sv.database = s.database;
      sv.plugin = s.plugin;
      sv.ready = logical_slot_ready(st, f.name);
      sv.shows_behind = replica;
    }
    sv.figures = f;
    v.slots.push_back(std::move(sv));
  }
  if (st.local_snap)
    v.optime = st.local_snap->in_recovery ? st.local_snap->replay_lsn : st.local_snap->current_lsn;
  for (auto& slot : st.recopy_refused)
    v.alerts.push_back({"re-copied too often: not copied again", slot, ""});
  if (st.server_down)
    v.alerts.push_back({"the local server is down after a slot copy; slotd starts it again with backoff (" +
                        std::to_string(st.copy.start_attempts) + " start attempts so far): " + st.copy.error});
  if (!st.local_error.empty())
    v.alerts.push_back({"local server unreachable: " + st.local_error});
  const auto& source = st.members_source;
  const std::string why = source.error.empty() ? ""
                                               : iso_time(source.failing_since.value_or(wall_clock::now())) + ": " +
                                                     source.error;
  const auto from = st.settings.cfg.members_from.source;
  const std::string origin(config::members_origin(from)), key(config::members_source_key(from));
  if (st.members_awaited)
    v.alerts.push_back({"waiting for the members from " + origin + " (" + key + "): nothing is created, "
                        "dropped or copied until then" + (why.empty() ? "" : " (failing since " + why + ")")});
  else if (!why.empty())
    v.alerts.push_back({std::string(config::members_source_label(from)) + ": the members are not updated from " +
                        origin + " since " + why +
                        "; the members taken before stay in force"});
  if (st.told == model::told_role::replica && !st.leader_error.empty())
    v.alerts.push_back({"leader unreachable: " + st.leader_error});
  v.wal_guard = wal_guard_view_of(st, v.alerts);
  v.leader_sample_age = leader_sample_age(st);
  v.failover = failover_of(st, v.alerts);
  v.name = st.my_name();
  v.scope = st.settings.cfg.scope;
  v.role = role_name(st);
  v.leader = st.told == model::told_role::primary ? std::optional<std::string>(st.my_name()) : st.leader;
  v.paused = st.paused;
  v.restarting = st.restarting;
  v.copy = copy_of(st);
  v.my_slot_name = model::slot_name_from_member_name(st.my_name());
  v.slot_details_error = st.slot_details.error;
  v.as_of = st.local_snap ? st.local_snap->as_of : wall_clock::time_point{};
  return v;
}

readiness_view readiness_of(const ha_state& st) {
  readiness_view out;
  out.role = role_name(st);
  out.as_of = st.local_snap ? st.local_snap->as_of : wall_clock::time_point{};
  if (holds_lead(st)) {
    out.ready = out.leads = true;
    return out;
  }
  auto verdict = node_readiness_of(st);
  out.ready = verdict.ready;
  out.unready = verdict.unready;
  out.reasons = verdict.reasons;
  out.reason = verdict.reason;
  out.pending = st.readiness.pending;
  // 17+: failover slots counted by PostgreSQL's sync state.
  readiness_view::failover_count count;
  for (auto& [name, d] : st.desired)
    if (is_native_failover(st, name)) {
      ++count.total;
      count.ready += logical_slot_ready(st, name) ? 1 : 0;
    }
  if (count.total > 0) {
    out.failover_slots = count;
    if (st.local_snap)
      out.missing_prerequisites = model::missing_sync_prerequisites(st.local_snap->sync_settings);
  }
  return out;
}

health_view health_of(const ha_state& st) {
  health_view out;
  out.loop_runs = st.ticks > 0;
  out.ok = out.loop_runs && !st.server_down && (st.local_error.empty() || st.restarting);
  out.cycles = st.cycles;
  out.role = role_name(st);
  if (st.server_down)
    out.detail = "the local server is down after a slot copy: starting it again (" + st.copy.error + ")";
  else if (st.restarting)
    out.detail = "the local server is being restarted for a slot copy";
  else if (!st.local_error.empty())
    out.detail = "local server unreachable: " + st.local_error;
  return out;
}

static json copy_dump(const ha_state& st) {
  auto c = copy_of(st);
  if (!c)
    return nullptr;
  return {{"phase", c->phase}, {"slots", c->slots}, {"started_at", iso_time(c->started_at)}, {"start_attempts", c->start_attempts}};
}

// What the next copy waits for (pg/model/copy_settle.hpp).
nlohmann::json settle_json(const ha_state& st) {
  auto now = ha_now(st);
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  nlohmann::json settling = nlohmann::json::object();
  for (auto& [name, s] : st.settling)
    settling[name] = {{"on_leader", s.on_leader}, {"since_ms", ms(now - s.since)}};
  nlohmann::json j = {{"settle_ms", st.settings.cfg.postgresql.copy_settle.count()},
                      {"waiting", st.settle.waiting == model::settle_wait::none ? "" : model::to_string(st.settle.waiting)},
                      {"slots", settling},
                      {"awaiting_consumer", st.undecided_copies}};
  if (st.settle.waiting != model::settle_wait::none)
    j["copy_in_ms"] = std::max<long long>(0, ms(st.settle.not_before - now));
  if (st.last_restart_end)
    j["last_restart_ms_ago"] = ms(now - *st.last_restart_end);
  return j;
}

json dump_json(const ha_state& st) {
  const auto totals = st.copy_totals();
  json creating = json::array();
  for (auto& [name, until] : st.creating)
    creating.push_back(name);
  json desired = json::object();
  for (auto& [name, d] : st.desired) {
    json jd = {{"type", std::string(model::to_string(d.type))}, {"lsn", opt_lsn(d.lsn)}};
    if (d.type == model::slot_type::logical) {
      jd["database"] = d.database;
      jd["plugin"] = d.plugin;
    }
    if (d.expected_active)
      jd["expected_active"] = *d.expected_active;
    jd["origin"] = d.origin == model::slot_origin::member      ? "member"
                   : d.origin == model::slot_origin::permanent ? "permanent"
                                                               : "retained";
    desired[name] = jd;
  }
  json cache = json::object();
  if (st.local_snap)
    for (auto& [name, s] : st.local_snap->slots)
      cache[name] = {{"type", std::string(model::to_string(s.type))},
                     {"database", s.database},
                     {"plugin", s.plugin},
                     {"active", s.active},
                     {"xmin", opt_xid(s.xmin)},
                     {"catalog_xmin", opt_xid(s.catalog_xmin)},
                     {"restart_lsn", opt_lsn(s.restart_lsn)},
                     {"confirmed_flush_lsn", opt_lsn(s.confirmed_flush_lsn)},
                     {"wal_status", opt_str(s.wal_status)}};
  json leader_slots = json::object();
  if (st.leader_snap)
    for (auto& [name, s] : st.leader_snap->slots)
      leader_slots[name] = {{"type", std::string(model::to_string(s.type))},
                            {"lsn", opt_lsn(position_of(s))},
                            {"catalog_xmin", opt_xid(s.catalog_xmin)}};
  json queue = json::object();
  for (auto& [name, x] : st.readiness.pending)
    queue[name] = x ? json(x->value()) : json(nullptr);
  json errors = json::array();
  for (auto& e : st.errors)
    errors.push_back({{"at", iso_time(e.at)}, {"kind", model::to_string(e.kind)}, {"slot", e.slot}, {"text", e.text}});
  json errors_by_kind = json::object();
  for (auto& [kind, n] : st.errors_by_kind)
    errors_by_kind[std::string(model::to_string(kind))] = n;
  json diags = json::array();
  for (auto& d : st.diagnostics)
    diags.push_back(d.text);
  json retention = json::array();
  for (auto& [slot, t] : st.retention.last_seen)
    retention.push_back(slot);
  json workers = json::array();
  for (auto& [db, w] : st.workers)
    workers.push_back(db);
  std::int64_t waiting_ms = -1;
  if (st.waiting)
    waiting_ms = std::chrono::duration_cast<std::chrono::milliseconds>(ha_now(st) - st.waiting->since).count();
  return {{"name", st.my_name()},
          {"role", role_name(st)},
          {"role_source", st.role_source == ha_state::role_teller::message     ? "message"
                          : st.role_source == ha_state::role_teller::automatic ? "auto"
                                                                               : "none"},
          {"leader", opt_str(st.leader)},
          {"paused", st.paused},
          {"members_from", config::to_string(st.settings.cfg.members_from.source)},
          {"members_awaited", st.members_awaited},
          {"members_source_error", st.members_source.error},
          {"cycles", st.cycles},
          {"ticks", st.ticks},
          {"requests_given_up", st.requests_given_up},
          {"waiting_ms", waiting_ms}, // the tick's outstanding request: for how long (-1: none)
          {"last_cycle_us", st.last_cycle_duration.count()},
          {"max_cycle_us", st.max_cycle_duration.count()},
          {"total_cycle_us", st.total_cycle_duration.count()},
          {"last_cycle_end", iso_time(st.last_cycle_end)},
          {"loop_wait_ms", st.settings.cfg.loop_wait.count()},
          {"sampling", {{"fastest_ms", st.settings.sampling.fastest.count()},
                        {"slowest_ms", st.settings.sampling.slowest.count()},
                        {"next_ms", st.sample_delay.count()},
                        {"samples", st.samples},
                        {"moved", st.samples_moved}}},
          {"wal_space", {{"probes", st.wal_space_probes},
                         {"outstanding", st.wal_space_since.has_value()},
                         {"free_bytes", st.wal_free_bytes ? json(*st.wal_free_bytes) : json(nullptr)},
                         {"error", st.wal_free_error}}},
          {"local_error", st.local_error},
          {"leader_error", st.leader_error},
          {"server_version", st.local_snap ? st.local_snap->server_version : 0},
          {"cache", cache},
          {"desired", desired},
          {"leader_slots", leader_slots},
          {"leader_as_of", iso_time(st.leader_snap ? st.leader_snap->as_of : wall_clock::time_point{})},
          {"readiness_queue", queue},
          {"ready_after_seconds", st.ready_after_seconds},
          {"recopy_requests", st.recopy_requests},
          {"recopy_refused", st.recopy_refused},
          {"retention_tracked", retention},
          {"copying", st.copying},
          {"restarting", st.restarting},
          {"server_down", st.server_down},
          {"copy", copy_dump(st)},
          {"copies", totals.copies},
          {"restarts", totals.restarts},
          {"copy_failures", totals.failures},
          {"copy_failures_in_row", st.copy_retry.failures_in_row},
          {"last_copy", st.last_copy},
          {"copy_settle", settle_json(st)},
          {"audit", audit_dump(st)},
          {"copy_method", model::to_string(st.settings.cfg.postgresql.copy_method)},
          {"creating", creating},
          {"created_copies", totals.created},
          {"restarts_by_slot", totals.restarts_by_slot},
          {"diagnostics", diags},
          {"errors", errors},
          {"errors_by_kind", errors_by_kind},
          {"workers", workers},
          {"worker_failures", st.worker_failures},
          {"view", view_json(st.view)}};
}

} // namespace slotd::actors
