// ha_loop: slotd's HA loop. Every tick (advance_interval) it observes the
// local server and the leader and runs the slot model; every loop_wait (or
// at once after a message) it performs the whole plan: drops, creates,
// physical advances, copies. Logical advances are scheduled on every tick so
// that the replicas' copies stay fresh between full cycles.
//
// Nothing here blocks: every step is a request to another actor (with a
// timeout) or a coroutine on the I/O thread whose result comes back as a
// message.
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <fstream>
#include <memory>

#include "actors/json_text.hpp"
#include "actors/ha_state.hpp"
#include "actors/io_bridge.hpp"
#include "actors/spawn.hpp"
#include "pg/client/conninfo.hpp"
#include "pg/model/topology.hpp"

namespace slotd::actors {

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using self_ptr = ha_loop_private::stateful_pointer<ha_state>;

std::shared_ptr<spdlog::logger> log_ha() { return spdlog::get("ha"); }
std::shared_ptr<spdlog::logger> log_slots() { return spdlog::get("slots"); }

// Repeated messages at most once a minute per key.
bool should_log(ha_state& st, const std::string& key, std::chrono::seconds every = 60s) {
  auto now = steady::now();
  auto it = st.log_limits.find(key);
  if (it != st.log_limits.end() && now - it->second < every)
    return false;
  st.log_limits[key] = now;
  return true;
}

void record_error(ha_state& st, const std::string& kind, const std::string& slot, const std::string& text) {
  st.errors.push_back({wall_clock::now(), kind, slot, text});
  while (st.errors.size() > 50)
    st.errors.pop_front();
  ++st.errors_by_kind[kind];
}

void log_diagnostics(ha_state& st, const std::vector<model::diagnostic>& ds) {
  for (auto& d : ds) {
    if (d.code == model::diagnostic_code::slot_ready)
      continue; // logged by update_readiness, with the time since the copy
    if (!should_log(st, d.text))
      continue;
    switch (d.level) {
    case model::severity::info:
      log_slots()->info("{}", d.text);
      break;
    case model::severity::warning:
      log_slots()->warn("{}", d.text);
      break;
    case model::severity::error:
      log_slots()->error("{}", d.text);
      record_error(st, "model", d.slot, d.text);
      break;
    }
  }
}

int server_major(const ha_state& st) {
  return st.local_snap ? st.local_snap->server_version / 10000 : 0;
}

// ------------------------------------------------------------ leader target

std::optional<std::string> read_password_file(const std::string& path) {
  if (path.empty())
    return std::nullopt;
  std::ifstream f(path);
  std::string line;
  if (!f || !std::getline(f, line))
    return std::nullopt;
  while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
    line.pop_back();
  return line;
}

leader_target target_for(const ha_state& st, const std::optional<std::string>& leader) {
  leader_target t;
  if (!leader || *leader == st.my_name())
    return t;
  auto it = st.view.members.find(*leader);
  if (it == st.view.members.end())
    return t;
  std::map<std::string, std::string> over{{"host", it->second.host},
                                          {"port", std::to_string(it->second.port)},
                                          {"hostaddr", ""},
                                          {"service", ""}};
  auto& auth = st.settings.cfg.postgresql.leader_auth;
  if (!auth.user.empty())
    over["user"] = auth.user;
  if (auto pw = read_password_file(auth.password_file))
    over["password"] = *pw;
  auto ci = pg::conninfo_with(st.settings.cfg.postgresql.conninfo, over);
  if (!ci) {
    log_ha()->error("cannot build the leader conninfo: {}", ci.error().what());
    return t;
  }
  t.name = leader;
  t.conninfo = *ci;
  return t;
}

void set_leader(self_ptr self, std::optional<std::string> leader) {
  auto& st = self->state;
  st.leader = std::move(leader);
  self->send(st.leader_conn, target_for(st, st.leader));
}

// ------------------------------------------------------------------ workers

advance_worker_actor worker_for(self_ptr self, const std::string& database) {
  auto& st = self->state;
  auto it = st.workers.find(database);
  if (it != st.workers.end())
    return it->second;
  pg::connection_options opts;
  opts.conninfo = st.settings.cfg.postgresql.conninfo;
  auto w = spawn_advance_worker(self->system(), *st.io, opts, database,
                                caf::actor_cast<ha_loop_actor>(self));
  self->monitor(w);
  st.workers.emplace(database, w);
  log_ha()->info("started the advance worker for database {}", database);
  return w;
}

// The slot copier, monitored like the workers: one that fails is replaced
// (its intent record, if it held the server, makes the new one start it).
void start_copier(self_ptr self) {
  auto& st = self->state;
  st.copier = spawn_slot_copier(self->system(), *st.io, copier_settings_from(st.settings), st.local, st.leader_conn,
                                caf::actor_cast<ha_loop_actor>(self));
  self->monitor(st.copier);
}

void on_copier_down(self_ptr self, caf::down_msg& msg) {
  auto& st = self->state;
  if (!msg.reason || msg.reason == caf::exit_reason::user_shutdown)
    return;
  log_ha()->error("the slot copier ended ({}): starting a new one", caf::to_string(msg.reason));
  record_error(st, "copier", "", "slot copier ended: " + caf::to_string(msg.reason));
  st.copying = st.restarting = st.server_down = false;
  st.copy = copy_report{};
  start_copier(self);
}

// The HA loop monitors its workers, and each worker monitors the loop and
// ends with it. A worker that fails (any reason but a shutdown, even a kill)
// does not take the loop with it: it is forgotten, and the next advance or
// create for its database starts a new one.
void on_worker_down(self_ptr self, caf::down_msg& msg) {
  auto& st = self->state;
  if (caf::actor_cast<caf::actor_addr>(st.copier) == msg.source) {
    on_copier_down(self, msg);
    return;
  }
  for (auto it = st.workers.begin(); it != st.workers.end(); ++it) {
    if (caf::actor_cast<caf::actor_addr>(it->second) != msg.source)
      continue;
    if (!msg.reason || msg.reason == caf::exit_reason::user_shutdown) {
      st.workers.erase(it);
      return;
    }
    ++st.worker_failures;
    log_ha()->error("the advance worker for database {} ended ({}); a new one starts when needed", it->first,
                    caf::to_string(msg.reason));
    record_error(st, "worker", "", "advance worker for database " + it->first + " ended: " +
                                       caf::to_string(msg.reason));
    st.workers.erase(it);
    st.full_cycle_due = true;
    return;
  }
}

void clean_workers(self_ptr self) {
  for (auto& [db, w] : self->state.workers)
    self->send(w, clean_atom_v);
}

// --------------------------------------------------------------------- copy

void start_copy(self_ptr self, const std::vector<std::string>& names, const std::vector<std::string>& recopies) {
  auto& st = self->state;
  if (st.copying || names.empty())
    return;
  copy_order order;
  order.leader = st.leader;
  for (auto& n : names) {
    auto d = st.desired.find(n);
    if (d == st.desired.end() || d->second.type != model::slot_type::logical)
      continue;
    order.slots.push_back({n, d->second.database, d->second.plugin});
  }
  if (order.slots.empty())
    return;
  st.copying = true;
  st.copy_recopies = recopies;
  order.recopies = recopies;
  clean_workers(self); // no advance of a slot about to be replaced (#3098)
  self->send(st.copier, std::move(order));
}

void on_copy_report(self_ptr self, copy_report& r) {
  auto& st = self->state;
  // At start: re-copies recorded by an earlier run still count (wall clock
  // to this process's steady clock).
  for (auto& [slot, times] : r.recopy_history)
    for (auto t : times)
      st.recopies.record(slot, steady::now() - std::chrono::duration_cast<steady::duration>(wall_clock::now() - t));
  if (!r.recopy_history.empty())
    return;
  st.copying = r.phase == copy_phase::fetching || r.phase == copy_phase::restarting;
  st.restarting = r.phase == copy_phase::restarting || r.phase == copy_phase::server_down;
  bool was_down = st.server_down;
  st.server_down = r.phase == copy_phase::server_down;
  if (st.server_down && !was_down)
    record_error(st, "server", "", "the local server is down after a slot copy: " + r.error);
  if (r.finished && (st.copy.phase == copy_phase::fetching || st.copy.phase == copy_phase::restarting)) {
    if (r.stopped) {
      ++st.restarts;
      // Only copies that restarted the server count toward the limit (the
      // slots that were refused before the stop do not).
      for (auto& n : st.copy_recopies)
        if (std::none_of(r.refused.begin(), r.refused.end(),
                         [&](const std::string& why) { return why.rfind(n + ":", 0) == 0; }))
          st.recopies.record(n, steady::now());
    }
    auto now = wall_clock::now();
    for (auto& n : r.installed) {
      st.readiness.pending[n] = std::nullopt; // not proven safe yet
      st.pending_since[n] = now;
      st.recopy_refused.erase(n);
    }
    st.copies += r.installed.size();
    if (!r.error.empty()) {
      ++st.copy_failures;
      record_error(st, "copy", fmt::format("{}", fmt::join(r.slots, ",")), r.error);
    }
    st.last_copy = fmt::format("{}: {}{}", fmt::join(r.slots, ", "),
                               r.installed.empty() ? "not installed" : "installed " + fmt::format("{}", fmt::join(r.installed, ", ")),
                               r.error.empty() ? "" : ": " + r.error);
    st.copy_recopies.clear();
    st.full_cycle_due = true;
  }
  st.copy = std::move(r);
}

// ---------------------------------------------------------------- readiness

void update_readiness(self_ptr self) {
  auto& st = self->state;
  if (st.role != model::node_role::replica || !st.local_snap)
    return;
  auto local = model::visible_slots(st.local_snap->slots, server_major(st));
  if (st.rebuild_readiness) {
    st.readiness = model::rebuild_readiness_queue(local, st.view.ignore_slots, server_major(st));
    st.rebuild_readiness = false;
    auto now = wall_clock::now();
    for (auto& [name, x] : st.readiness.pending)
      st.pending_since.try_emplace(name, now);
  }
  auto phys = model::get_slot_name_on_primary(st.view, st.my_name(), st.leader);
  std::optional<model::leader_catalog_xmins> leader;
  if (st.leader_snap && st.leader_error.empty() && !st.readiness.pending.empty()) {
    model::leader_catalog_xmins xmins;
    if (!st.leader_snap->in_recovery) {
      for (auto& name : model::readiness_lookup_names(st.readiness, phys.value_or("")))
        if (auto it = st.leader_snap->slots.find(name); it != st.leader_snap->slots.end())
          xmins[name] = it->second.catalog_xmin;
    }
    leader = std::move(xmins);
  }
  auto res = model::check_readiness(st.readiness, local, leader, phys);
  st.readiness = std::move(res.queue);
  log_diagnostics(st, res.diagnostics);
  for (auto& name : res.became_ready) {
    auto it = st.pending_since.find(name);
    if (it != st.pending_since.end()) {
      auto secs = std::chrono::duration<double>(wall_clock::now() - it->second).count();
      st.ready_after_seconds[name] = secs;
      st.pending_since.erase(it);
      log_slots()->info("logical slot {} is safe to use after a failover ({:.1f} s after its copy or "
                        "the switch to this leader)", name, secs);
    } else {
      log_slots()->info("logical slot {} is safe to use after a failover", name);
    }
  }
  std::erase_if(st.pending_since, [&](const auto& kv) { return !st.readiness.pending.contains(kv.first); });
  if (res.check_hot_standby_feedback && st.local_snap->hot_standby_feedback == false &&
      should_log(st, "hsf-off")) {
    log_slots()->error("logical slot failover requires hot_standby_feedback = on on this replica "
                       "(check postgresql.auto.conf: ALTER SYSTEM may override it)");
    record_error(st, "config", "", "hot_standby_feedback is off");
  }
}

// -------------------------------------------------------------------- cycle

void schedule_tick(self_ptr self, std::chrono::milliseconds delay) {
  self->delayed_send(self, delay, tick_atom_v, self->state.epoch);
}

void end_tick(self_ptr self, bool full) {
  auto& st = self->state;
  st.tick_running = false;
  auto took = std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - st.tick_started);
  if (full) {
    ++st.cycles;
    st.last_cycle_duration = took;
    st.max_cycle_duration = std::max(st.max_cycle_duration, took);
    st.total_cycle_duration += took;
    st.last_cycle_end = wall_clock::now();
    log_ha()->debug("cycle {} done in {} us (role {})", st.cycles, took.count(), role_name(st));
  }
}

// The member whose host/port the local WAL receiver streams from.
std::optional<std::string> streaming_from(const ha_state& st, const local_snapshot& snap) {
  for (auto& [name, m] : st.view.members)
    if (snap.sender_host && snap.sender_port && m.host == *snap.sender_host && m.port == *snap.sender_port)
      return name;
  return std::nullopt;
}

// Role auto (DESIGN.md §1): before any message, the local server says. A
// replica's leader is looked for again at every snapshot until a message
// comes: right after a start the WAL receiver may not be connected yet, and
// the HA manager may re-point the server before it tells slotd.
void infer_role(self_ptr self, const local_snapshot& snap) {
  auto& st = self->state;
  if (st.told && st.role_source == "auto" && *st.told == model::told_role::replica && snap.in_recovery) {
    if (auto leader = streaming_from(st, snap); leader && leader != st.leader) {
      log_ha()->info("role auto: the local server now streams from {}: acting as its replica", *leader);
      set_leader(self, leader);
    }
    return;
  }
  if (st.told || st.settings.cfg.role != config::start_role::automatic)
    return;
  if (!snap.in_recovery) {
    st.told = model::told_role::primary;
    st.role_source = "auto";
    log_ha()->info("role auto: the local server is not in recovery: acting as primary");
    set_leader(self, std::nullopt);
    return;
  }
  auto leader = streaming_from(st, snap);
  st.told = model::told_role::replica;
  st.role_source = "auto";
  if (leader)
    log_ha()->info("role auto: the local server streams from {}: acting as its replica", *leader);
  else if (should_log(st, "auto-no-leader"))
    log_ha()->warn("role auto: the local server is in recovery but streams from no member of the view ({}:{})",
                   snap.sender_host.value_or("-"), snap.sender_port.value_or(0));
  set_leader(self, leader);
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
  if (*st.told == model::told_role::replica && st.leader_snap && st.leader_error.empty() &&
      st.leader_snap->leader == st.leader.value_or("")) {
    std::optional<std::pair<std::string, pg::lsn>> own;
    if (st.leader_snap->current_lsn)
      own = std::make_pair(model::slot_name_from_member_name(st.leader_snap->leader), *st.leader_snap->current_lsn);
    in.leader_positions = model::positions_of(st.leader_snap->slots, own);
  }
  in.replay_lsn = snap.replay_lsn;
  in.recopy_requests = st.recopy_requests;
  in.now = steady::now();
  in.retention = st.retention;
  in.recopies = st.recopies;
  in.synchronized_standby_slots = snap.synchronized_standby_slots;
  in.failover_slots = snap.failover_slots;
  return in;
}

void send_advances(self_ptr self, const model::logical_advance_map& advances) {
  for (auto& [db, targets] : advances)
    self->send(worker_for(self, db), advance_targets{targets});
}

void apply_full(self_ptr self, model::plan p) {
  auto& st = self->state;
  local_actions la{p.drops, p.physical_creates, p.physical_advances, p.synchronized_standby_slots};
  bool nothing_local = la.drops.empty() && la.physical_creates.empty() && la.physical_advances.empty() &&
                       !la.synchronized_standby_slots;
  auto rest = [self, p](const std::set<std::string>& not_dropped) {
    auto& s = self->state;
    for (auto& c : p.logical_creates) {
      if (not_dropped.contains(c.name))
        continue;
      self->request(worker_for(self, c.database), model::slot_creation_budget + 10s, create_logical_request{c})
          .then(
              [self, c](action_outcome& o) {
                if (o.ok) {
                  log_slots()->info("created logical slot {} in database {} (plugin {})", c.name, c.database,
                                    c.plugin);
                } else if (should_log(self->state, "create-" + c.name)) {
                  log_slots()->error("failed to create logical slot {} in database {} (plugin {}): {}", c.name,
                                     c.database, c.plugin, o.detail);
                  record_error(self->state, "create", c.name, o.detail);
                }
              },
              [self, c](caf::error& e) {
                record_error(self->state, "create", c.name, caf::to_string(e));
              });
    }
    std::vector<std::string> copies;
    for (auto& n : p.logical_copies)
      if (!not_dropped.contains(n))
        copies.push_back(n);
    // Re-copy requests are consumed by this plan.
    s.recopy_requests.clear();
    if (!copies.empty() && s.role == model::node_role::replica && !s.paused)
      start_copy(self, copies, p.logical_recopies);
    send_advances(self, p.logical_advances);
    end_tick(self, true);
  };
  if (nothing_local) {
    rest({});
    return;
  }
  self->request(st.local, st.settings.request_timeout, std::move(la))
      .then(
          [self, rest](local_actions_result& r) {
            auto& s = self->state;
            std::set<std::string> not_dropped;
            for (auto& o : r.outcomes) {
              if (o.ok) {
                if (o.action == "drop") {
                  if (o.detail.empty())
                    log_slots()->info("dropped replication slot {}", o.slot);
                  s.readiness.pending.erase(o.slot);
                } else if (o.action == "create physical") {
                  log_slots()->info("created physical replication slot {}", o.slot);
                } else if (o.action == "set synchronized_standby_slots") {
                  log_slots()->info("set synchronized_standby_slots to '{}'", o.slot);
                } else {
                  log_slots()->debug("{} of slot {} done", o.action, o.slot);
                }
                continue;
              }
              if (o.action == "drop")
                not_dropped.insert(o.slot);
              if (o.detail == "active") {
                if (should_log(s, "active-" + o.slot))
                  log_slots()->warn("unable to drop replication slot {}: it is active", o.slot);
                continue;
              }
              if (should_log(s, o.action + "-" + o.slot))
                log_slots()->error("{} of replication slot {} failed: {}", o.action, o.slot, o.detail);
              record_error(s, o.action.substr(0, o.action.find(' ')), o.slot, o.detail);
            }
            rest(not_dropped);
          },
          [self](caf::error& e) {
            record_error(self->state, "local", "", "slot actions: " + caf::to_string(e));
            end_tick(self, true);
          });
}

void plan_and_apply(self_ptr self, const local_snapshot& snap, bool full) {
  auto& st = self->state;
  if (!st.told) {
    end_tick(self, full);
    return;
  }
  auto in = make_input(st, snap);
  auto p = model::plan_cycle(in);
  st.role = p.role;
  st.desired = p.desired;
  st.desired_leader = in.leader;
  if (p.role == model::node_role::replica)
    update_readiness(self);
  else
    st.readiness.pending.clear();
  if (!full) {
    // Between full cycles only the logical advances (freshness).
    send_advances(self, p.logical_advances);
    end_tick(self, false);
    return;
  }
  st.retention = p.retention;
  st.diagnostics = p.diagnostics;
  log_diagnostics(st, p.diagnostics);
  for (auto& d : p.diagnostics)
    if (d.code == model::diagnostic_code::recopy_limited)
      st.recopy_refused.insert(d.slot);
  if (p.role == model::node_role::role_mismatch) {
    if (should_log(st, "role-mismatch"))
      log_ha()->error("told replica but the local server is not in recovery: doing nothing destructive");
    end_tick(self, true);
    return;
  }
  if (st.copying) {
    p.logical_copies.clear(); // one copy at a time
    p.logical_advances.clear();
  }
  apply_full(self, std::move(p));
}

void after_local(self_ptr self, local_snapshot snap, bool full) {
  auto& st = self->state;
  if (!snap.reachable) {
    if (st.local_error.empty() || should_log(st, "local-down"))
      log_ha()->warn("local server unreachable: {}", snap.error);
    st.local_error = snap.error.empty() ? "unreachable" : snap.error;
    if (!st.restarting)
      record_error(st, "local", "", st.local_error);
    end_tick(self, full);
    return;
  }
  if (!st.local_error.empty())
    log_ha()->info("local server reachable again");
  st.local_error.clear();
  if (snap.started_at != st.server_started_at) {
    if (!st.server_started_at.empty())
      log_ha()->info("the local server (re)started at {}: re-checking slots", snap.started_at);
    st.server_started_at = snap.started_at;
    st.rebuild_readiness = true; // SLOTS.md §1.6: a restart reloads and re-checks
    full = true;
  }
  st.local_snap = snap;
  infer_role(self, snap);
  bool need_leader = st.told == model::told_role::replica && st.leader.has_value();
  if (!need_leader) {
    plan_and_apply(self, snap, full);
    return;
  }
  self->request(st.leader_conn, st.settings.request_timeout, snapshot_atom_v)
      .then(
          [self, snap, full](leader_snapshot& ls) {
            auto& s = self->state;
            if (ls.reachable) {
              if (!s.leader_error.empty())
                log_ha()->info("leader {} reachable again", ls.leader);
              s.leader_error.clear();
              s.leader_snap = std::move(ls);
            } else {
              if (s.leader_error.empty() || should_log(s, "leader-down"))
                log_ha()->warn("leader {} unreachable: {}", ls.leader, ls.error);
              s.leader_error = ls.error.empty() ? "unreachable" : ls.error;
            }
            plan_and_apply(self, snap, full);
          },
          [self, snap, full](caf::error& e) {
            self->state.leader_error = caf::to_string(e);
            plan_and_apply(self, snap, full);
          });
}

void run_tick(self_ptr self) {
  auto& st = self->state;
  if (st.tick_running)
    return;
  auto now = steady::now();
  bool full = st.full_cycle_due || now - st.last_full_cycle >= st.settings.cfg.loop_wait;
  if (full) {
    st.full_cycle_due = false;
    st.last_full_cycle = now;
  }
  st.tick_running = true;
  st.tick_started = now;
  ++st.ticks;
  self->request(st.local, st.settings.request_timeout, snapshot_atom_v)
      .then([self, full](local_snapshot& snap) { after_local(self, std::move(snap), full); },
            [self, full](caf::error& e) {
              local_snapshot snap;
              snap.error = "no answer from the local connection: " + caf::to_string(e);
              after_local(self, std::move(snap), full);
            });
}

void run_now(self_ptr self) {
  self->state.full_cycle_due = true;
  run_tick(self);
}

// ------------------------------------------------------------------ promote

void on_promote(self_ptr self, promote_request req, caf::typed_response_promise<promote_reply> rp) {
  auto& st = self->state;
  // Idempotent: a primary answers at once.
  if (st.told == model::told_role::primary && st.local_snap && !st.local_snap->in_recovery) {
    promote_reply r;
    r.role = "primary";
    for (auto& [name, s] : st.local_snap->slots)
      if (s.type == model::slot_type::logical)
        r.ready.push_back(name);
    rp.deliver(std::move(r));
    return;
  }
  // A copy holds the local server (stopped, or about to be): promoting now
  // would fail, or the promote signal would be lost when the server starts
  // again. The HA manager decides: retry, or choose another candidate.
  if (st.copying || st.restarting) {
    promote_reply r;
    r.status = 409;
    r.error = fmt::format("a slot copy is under way since {} (phase {}, slots {}): the local server is {}; "
                          "retry when it is done",
                          iso_time(st.copy.started_at), to_string(st.copy.phase), fmt::join(st.copy.slots, ", "),
                          st.server_down ? "down and being started again" : "stopped or about to be");
    log_ha()->warn("promote refused: {}", r.error);
    rp.deliver(std::move(r));
    return;
  }
  log_ha()->info("promote: final advance of the logical slots (timeout {} ms)", req.timeout.count());
  auto leader_snap = st.leader_snap; // the last known positions of the old leader
  // What the reply judges by: the replica's desired slots and readiness as
  // they stand now (ticks during the final advance already run the primary
  // rules, which clear the readiness queue).
  auto judged = std::make_shared<std::pair<model::desired_set, model::readiness_queue>>(st.desired, st.readiness);
  st.told = model::told_role::primary;
  st.role_source = "message";
  st.promote_in_progress = true;
  // DESIGN.md §5: /status says "promoting" from now until the server
  // leaves recovery (the next cycle confirms it from pg_is_in_recovery()).
  if (!st.local_snap || st.local_snap->in_recovery)
    st.role = model::node_role::promoting;
  set_leader(self, std::nullopt);
  clean_workers(self);
  auto started = steady::now();
  self->request(st.local, st.settings.request_timeout, snapshot_atom_v)
      .then(
          [self, req, rp, leader_snap, started, judged](local_snapshot& snap) mutable {
            auto& s = self->state;
            if (snap.reachable)
              s.local_snap = snap;
            // Targets: the old leader's confirmed_flush_lsn, never past what
            // this node replayed (SLOTS.md §2.3.15), only forward.
            std::map<std::string, std::map<std::string, pg::lsn>> by_db;
            std::map<std::string, std::string> positions;
            const auto& local = s.local_snap ? s.local_snap->slots : model::slot_cache{};
            for (auto& [name, slot] : local) {
              if (slot.type != model::slot_type::logical)
                continue;
              if (slot.confirmed_flush_lsn)
                positions[name] = slot.confirmed_flush_lsn->str();
              if (!leader_snap || !snap.replay_lsn)
                continue;
              auto it = leader_snap->slots.find(name);
              if (it == leader_snap->slots.end() || !it->second.confirmed_flush_lsn)
                continue;
              auto target = std::min(*it->second.confirmed_flush_lsn, *snap.replay_lsn);
              if (slot.confirmed_flush_lsn && *slot.confirmed_flush_lsn < target)
                by_db[slot.database][name] = target;
            }
            struct gather {
              std::size_t waiting = 0;
              std::map<std::string, std::string> advanced;
              std::map<std::string, std::string> failed;
            };
            auto g = std::make_shared<gather>();
            g->advanced = positions;
            auto finish = [self, rp, g, started, judged]() mutable {
              auto& s2 = self->state;
              s2.promote_in_progress = false;
              auto local2 = s2.local_snap ? model::visible_slots(s2.local_snap->slots, server_major(s2))
                                          : model::slot_cache{};
              static const std::vector<model::failover_slot_state> no_failover;
              auto& failover = s2.local_snap ? s2.local_snap->failover_slots : no_failover;
              auto verdicts = model::judge_desired_logical_slots(judged->first, local2, judged->second,
                                                                 server_major(s2), failover);
              promote_reply r;
              r.role = "primary";
              r.advanced = g->advanced;
              for (auto& v : verdicts) {
                (v.ready ? r.ready : r.unsafe).push_back(v.name);
                if (!v.ready)
                  r.reasons[v.name] = v.reason;
              }
              // Other local logical slots (not desired, e.g. created by hand).
              for (auto& [name, slot] : local2)
                if (slot.type == model::slot_type::logical && !judged->first.contains(name))
                  (judged->second.pending.contains(name) ? r.unsafe : r.ready).push_back(name);
              for (auto& [slot, why] : g->failed)
                log_slots()->error("promote: final advance of {} failed: {}", slot, why);
              if (!r.unsafe.empty())
                log_slots()->warn("logical replication slots that might be unsafe to use after promote: {}",
                                  fmt::join(r.unsafe, ", "));
              log_ha()->info("promote: done in {} ms; ready: [{}], unsafe: [{}]",
                             std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - started).count(),
                             fmt::join(r.ready, ", "), fmt::join(r.unsafe, ", "));
              s2.readiness.pending.clear();
              run_now(self);
              rp.deliver(std::move(r));
            };
            if (by_db.empty()) {
              finish();
              return;
            }
            g->waiting = by_db.size();
            for (auto& [db, targets] : by_db) {
              final_advance_request far{targets, req.timeout};
              self->request(worker_for(self, db), req.timeout + 5s, far)
                  .then(
                      [g, finish](final_advance_result& res) mutable {
                        for (auto& [slot, lsn] : res.advanced)
                          g->advanced[slot] = lsn.str();
                        for (auto& [slot, why] : res.failed)
                          g->failed[slot] = why;
                        if (--g->waiting == 0)
                          finish();
                      },
                      [g, finish, targets](caf::error& e) mutable {
                        for (auto& [slot, lsn] : targets)
                          g->failed[slot] = caf::to_string(e);
                        if (--g->waiting == 0)
                          finish();
                      });
            }
          },
          [self, rp](caf::error& e) mutable {
            self->state.promote_in_progress = false;
            promote_reply r;
            r.role = "primary";
            r.status = 503;
            r.error = "local server did not answer: " + caf::to_string(e);
            rp.deliver(std::move(r));
          });
}

// ---------------------------------------------------------------- behavior

ha_loop_private::behavior_type ha_loop(self_ptr self, io_runtime* io, ha_settings settings,
                                       local_connection_actor local, leader_connection_actor leader) {
  auto& st = self->state;
  st.io = io;
  st.view = settings.cfg.cluster;
  st.settings = std::move(settings);
  st.local = local;
  st.leader_conn = leader;
  self->set_down_handler([self](caf::down_msg& msg) { on_worker_down(self, msg); });
  start_copier(self);
  if (st.settings.cfg.role == config::start_role::wait)
    log_ha()->info("role wait: doing nothing until promote or demote");
  self->send(self, tick_atom_v, st.epoch);
  return {
      [=](io_done& d) { d.run(); },
      [=](tick_atom, std::uint64_t epoch) {
        auto& s = self->state;
        if (epoch != s.epoch)
          return; // a stale tick (delayed_send cannot be cancelled)
        run_tick(self);
        schedule_tick(self, std::min(s.settings.advance_interval, s.settings.cfg.loop_wait));
      },
      [=](copy_report& r) { on_copy_report(self, r); },
      // Shutdown: answers once no slot copy holds the local server.
      [=](stop_atom) -> caf::result<bool> {
        return self->delegate(self->state.copier, stop_atom_v);
      },
      [=](advance_report& rep) {
        auto& s = self->state;
        if (rep.ok)
          return;
        auto action = model::classify_advance_error(rep.sqlstate);
        auto text = fmt::format("advance of logical slot {} in database {} to {} failed: [{}] {}", rep.slot,
                                rep.database, rep.target.str(), rep.sqlstate, rep.message);
        switch (action) {
        case model::advance_error_action::recopy:
          log_slots()->error("{}: the slot will be copied again from the leader", text);
          if (std::find(s.recopy_requests.begin(), s.recopy_requests.end(), rep.slot) == s.recopy_requests.end())
            s.recopy_requests.push_back(rep.slot);
          s.full_cycle_due = true;
          break;
        case model::advance_error_action::retry:
          if (should_log(s, "advance-" + rep.slot))
            log_slots()->error("{}", text);
          break;
        }
        record_error(s, "advance", rep.slot, rep.message);
      },
      [=](config_reload& r) {
        auto& s = self->state;
        auto keep = s.view;
        s.settings.cfg = r.cfg;
        s.view = r.cfg.cluster;
        if (s.view_overrides.contains("members"))
          s.view.members = keep.members;
        if (s.view_overrides.contains("slots"))
          s.view.slots = keep.slots;
        if (s.view_overrides.contains("ignore_slots"))
          s.view.ignore_slots = keep.ignore_slots;
        if (s.view_overrides.contains("member_slots_ttl"))
          s.view.member_slots_ttl = keep.member_slots_ttl;
        if (s.view_overrides.contains("use_slots"))
          s.view.use_slots = keep.use_slots;
        log_ha()->info("configuration reloaded");
        self->send(s.copier, cancel_atom_v);
        set_leader(self, s.leader);
        run_now(self);
      },
      [=](role_order& o) -> demote_reply {
        auto& s = self->state;
        demote_reply r;
        if (o.told == model::told_role::replica) {
          if (!o.leader || !s.view.members.contains(*o.leader)) {
            r.status = 400;
            r.error = "unknown member '" + o.leader.value_or("") + "': the leader must be a member of the cluster view";
            return r;
          }
          if (*o.leader == s.my_name()) {
            r.status = 400;
            r.error = "'" + *o.leader + "' is this agent: demote names the new leader";
            return r;
          }
          log_ha()->info("demote: following leader {}", *o.leader);
          self->send(s.copier, cancel_atom_v); // a copy from the old leader, if it has not stopped the server
          s.told = model::told_role::replica;
          s.role_source = "message";
          s.leader_snap.reset();
          s.leader_error.clear();
          s.rebuild_readiness = true;
          set_leader(self, o.leader);
          clean_workers(self);
          run_now(self);
          r.role = "replica";
          r.leader = *o.leader;
        }
        return r;
      },
      [=](promote_request& req) -> caf::result<promote_reply> {
        auto rp = self->make_response_promise<promote_reply>();
        on_promote(self, req, rp);
        return rp;
      },
      [=](cluster_update_request& req) -> cluster_update_reply {
        auto& s = self->state;
        cluster_update_reply r;
        auto applied = config::apply_cluster_update(s.view, req.update, s.my_name(), "PUT /cluster");
        if (!applied.value) {
          r.status = 400;
          std::string msg;
          for (auto& d : applied.diagnostics)
            msg += (msg.empty() ? "" : "; ") + d.message;
          r.error = msg.empty() ? "invalid cluster view" : msg;
          return r;
        }
        s.view = *applied.value;
        auto& u = req.update;
        if (u.members)
          s.view_overrides.insert("members");
        if (u.slots)
          s.view_overrides.insert("slots");
        if (u.ignore_slots)
          s.view_overrides.insert("ignore_slots");
        if (u.member_slots_ttl)
          s.view_overrides.insert("member_slots_ttl");
        if (u.use_slots)
          s.view_overrides.insert("use_slots");
        self->send(s.copier, cancel_atom_v); // a copy planned with the old view, if not stopped yet
        log_ha()->info("cluster view updated: {} members, {} permanent slots", s.view.members.size(),
                       s.view.slots.size());
        set_leader(self, s.leader); // the leader's address may have changed
        run_now(self);
        r.view_json = json_text(view_json(s.view));
        return r;
      },
      [=](pause_request& p) -> status_reply {
        auto& s = self->state;
        if (s.paused != p.paused)
          log_ha()->info(p.paused ? "paused: nothing is dropped or copied" : "resumed");
        s.paused = p.paused;
        if (p.paused)
          self->send(s.copier, cancel_atom_v); // a copy that has not stopped the server yet
        if (!p.paused) {
          s.rebuild_readiness = true; // SLOTS.md §1.6: re-check after a pause
          run_now(self);
        }
        return {json_text(status_json(s))};
      },
      [=](status_atom) -> status_reply { return {json_text(status_json(self->state))}; },
      [=](ready_atom) -> readiness_reply {
        readiness_reply r;
        r.json = json_text(readiness_json(self->state, r.ready));
        return r;
      },
      [=](health_atom) -> health_reply {
        health_reply r;
        r.json = json_text(health_json(self->state, r.ok));
        return r;
      },
      [=](metrics_atom) -> status_reply { return {metrics_text(self->state)}; },
      [=](actors_atom) -> std::vector<caf::actor> {
        auto& s = self->state;
        std::vector<caf::actor> out{caf::actor_cast<caf::actor>(self), caf::actor_cast<caf::actor>(s.local),
                                    caf::actor_cast<caf::actor>(s.leader_conn), caf::actor_cast<caf::actor>(s.copier)};
        for (auto& [db, w] : s.workers)
          out.push_back(caf::actor_cast<caf::actor>(w));
        return out;
      },
      [=](dump_atom) -> dump_reply { return {"ha_loop", json_text(dump_json(self->state))}; },
  };
}

} // namespace

ha_loop_actor spawn_ha_loop(caf::actor_system& sys, io_runtime& io, ha_settings settings,
                            local_connection_actor local, leader_connection_actor leader) {
  return caf::actor_cast<ha_loop_actor>(sys.spawn(ha_loop, &io, std::move(settings), local, leader));
}

} // namespace slotd::actors
