// The HA loop's cycle. Every loop_wait (or at once after a message) a full
// cycle observes the local server and, on a replica, the leader, runs the
// slot model and performs the whole plan: drops, creates, physical
// advances, copies, logical advances. In between, a replica samples its
// leader (pg/model/sampling.hpp): when the leader's logical slots moved, it
// reads the local server too and sends the logical advances, so that the
// copies stay fresh; when a sample shows a slot to copy, the copy starts at
// once. Nothing here blocks: every step is a request to another actor; the
// tick's requests are given up by a watchdog after request_timeout
// (cycle_request).
#include <algorithm>
#include <utility>

#include <caf/sec.hpp>

#include "actors/ha_steps.hpp"
#include "pg/model/cycle_gate.hpp"
#include "pg/model/sampling.hpp"
#include "pg/model/topology.hpp"

namespace slotd::actors::ha {

namespace {

// ---------------------------------------------------------------- readiness

void update_readiness(self_ptr self) {
  auto& st = self->state;
  if (st.role != model::node_role::replica || !st.local_snap)
    return;
  auto local = model::visible_slots(st.local_snap->slots, server_major(st));
  model::recheck_facts facts{st.server_started_at, st.leader, st.demotes, st.resumes};
  auto why = model::readiness_recheck(st.recheck_seen, facts);
  st.recheck_seen = facts;
  if (why != model::recheck_reason::none || st.rebuild_readiness) {
    if (why != model::recheck_reason::none && why != model::recheck_reason::agent_start)
      log_ha()->info("re-checking the readiness of every copy: {}", model::to_string(why));
    auto before = std::move(st.readiness.pending);
    st.readiness = model::rebuild_readiness_queue(local, st.view.ignore_slots, server_major(st));
    st.rebuild_readiness = false;
    // A slot that was waiting goes on waiting since then; one that starts
    // to wait now (also after a promote or a primary spell cleared the
    // queue) waits since now, not since an older wait that ended.
    auto now = wall_clock::now();
    for (auto& [name, x] : st.readiness.pending) {
      if (before.contains(name))
        st.pending_since.try_emplace(name, now);
      else
        st.pending_since[name] = now;
    }
  }
  auto phys = model::get_slot_name_on_primary(st.view, st.my_name(), st.leader);
  std::optional<model::leader_catalog_xmins> leader;
  if (st.leader_error.empty() && followed_leader_sample(st) && !st.readiness.pending.empty()) {
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
  // A copy being created is not proven before its creation has answered
  // (its slot can show a position before then).
  for (auto& [n, until] : st.creating)
    st.readiness.pending.try_emplace(n, std::nullopt);
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
    record_error(st, model::error_kind::config, "", "hot_standby_feedback is off");
  }
}

// -------------------------------------------------------------------- cycle

void end_tick(self_ptr self, bool full) {
  auto& st = self->state;
  st.tick_running = false;
  auto took = std::chrono::duration_cast<std::chrono::microseconds>(ha_now(st) - st.tick_started);
  if (full) {
    ++st.cycles;
    st.last_cycle_duration = took;
    st.max_cycle_duration = std::max(st.max_cycle_duration, took);
    st.total_cycle_duration += took;
    st.cycle_durations.observe(std::chrono::duration<double>(took).count());
    st.last_cycle_end = wall_clock::now();
    log_ha()->debug("cycle {} done in {} us (role {})", st.cycles, took.count(), role_name(st));
    if (st.cycle_details)
      take_slot_details(st, std::move(*std::exchange(st.cycle_details, std::nullopt)));
    read_wal_space(self);
  }
  schedule_next_tick(self);
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
                if (o.ok()) {
                  log_slots()->info("created logical slot {} in database {} (plugin {})", c.name, c.database,
                                    c.plugin);
                  audit(self->state, model::audit_action::create, "advance_worker " + c.database, c.name,
                        std::nullopt, std::nullopt, model::audit_rule::logical_on_primary,
                        fmt::format("logical, database {}, plugin {}{}", c.database, c.plugin,
                                    c.failover ? ", failover" : ""));
                } else if (should_log(self->state, "create-" + c.name)) {
                  log_slots()->error("failed to create logical slot {} in database {} (plugin {}): {}", c.name,
                                     c.database, c.plugin, o.why());
                  record_error(self->state, model::error_kind::create, c.name, o.why());
                }
              },
              [self, c](caf::error& e) {
                record_error(self->state, model::error_kind::create, c.name, caf::to_string(e));
              });
    }
    std::vector<std::string> copies;
    for (auto& n : p.logical_copies)
      if (!not_dropped.contains(n))
        copies.push_back(n);
    // Re-copy requests are consumed by a copy order (kept while a copy is
    // under way, paused, or waiting after failed copies).
    const bool replica = s.role == model::node_role::replica;
    const bool ordered = !copies.empty() && replica && !s.paused && start_copy(self, copies, p.logical_recopies);
    if (ordered || copies.empty() || !replica)
      s.recopy_requests.clear();
    send_advances(self, p.logical_advances);
    end_tick(self, true);
  };
  if (nothing_local) {
    rest({});
    return;
  }
  cycle_request<local_actions_result>(
      self, st.local,
      [self, rest, la](local_actions_result& r) {
        auto not_dropped = take_local_outcomes(self->state, la, r.outcomes);
        rest(not_dropped);
      },
      [self](caf::error& e) {
        record_error(self->state, model::error_kind::local, "", "slot actions: " + caf::to_string(e));
        end_tick(self, true);
      },
      la);
}

void plan_and_apply(self_ptr self, const local_snapshot& snap, bool full) {
  auto& st = self->state;
  if (!st.told || st.members_awaited) { // nothing to plan with, yet
    end_tick(self, full);
    return;
  }
  auto in = make_input(st, snap);
  auto p = model::plan_cycle(in);
  if (p.role == model::node_role::primary && st.role != model::node_role::primary)
    st.inactivity_floor = snap.as_of; // slots count as inactive from here on at the earliest
  std::erase_if(p.logical_copies, [&](const std::string& n) { return st.creating.contains(n); }); // under way
  st.role = p.role;
  st.desired = p.desired;
  st.desired_leader = in.leader;
  if (p.role == model::node_role::replica)
    update_readiness(self);
  else
    st.readiness.pending.clear();
  st.copies_behind = p.role == model::node_role::replica && model::copies_behind(snap.slots, in.leader_positions);
  if (p.logical_copies.empty()) {
    st.settle = {};
    st.undecided_copies.clear();
  }
  if (p.role != model::node_role::replica)
    st.settling.clear();
  else if (leader_sample_current(st))
    model::track_settling(st.settling, p.logical_copies,
                          model::awaited_on_leader(p.desired, snap.slots, in.leader_positions), in.now);
  // A tick or a full cycle (pg/model/cycle_gate.hpp).
  model::cycle_gate_input gi;
  gi.full_due = full;
  gi.replica = p.role == model::node_role::replica;
  gi.copies_wanted = !p.logical_copies.empty();
  gi.copying = st.copying;
  gi.restarting = st.restarting;
  gi.paused = st.paused;
  gi.retry_allows = st.copy_retry.allows(ha_now(st));
  auto gate = model::gate_cycle(gi);
  if (!gate.copies)
    p.logical_copies.clear(); // one copy at a time
  if (!gate.advances)
    p.logical_advances.clear();
  if (!gate.full) {
    if (!gate.settle_decides || !copy_settled(self, p.logical_copies)) {
      send_advances(self, p.logical_advances);
      end_tick(self, false);
      return;
    }
    // A sample shows a slot to copy: this tick becomes a full cycle, and the
    // copy starts now rather than at the next one.
    st.last_full_cycle = ha_now(st);
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
  apply_full(self, std::move(p));
}

// `leader_sampled`: this tick has sampled the leader already.
void after_local(self_ptr self, local_snapshot snap, bool full, bool leader_sampled) {
  auto& st = self->state;
  if (!snap.reachable) {
    if (st.local_error.empty() || should_log(st, "local-down"))
      log_ha()->warn("local server unreachable: {}", snap.error);
    st.local_error = snap.error.empty() ? "unreachable" : snap.error;
    st.copies_behind = true; // not known: read it again at the next sample
    if (!st.restarting)
      record_error(st, model::error_kind::local, "", st.local_error);
    end_tick(self, full);
    return;
  }
  // A gap between snapshots (the server away, a clock step, a suspended
  // host), the server answering again or restarted: no slot's inactivity
  // counts from before.
  if (!st.local_snap || !st.local_error.empty() || snap.started_at != st.server_started_at ||
      snap.as_of < st.local_snap->as_of || snap.as_of - st.local_snap->as_of > 2 * st.settings.cfg.loop_wait + 5s)
    st.inactivity_floor = snap.as_of;
  if (!st.local_error.empty())
    log_ha()->info("local server reachable again");
  st.local_error.clear();
  if (snap.started_at != st.server_started_at) {
    if (!st.server_started_at.empty())
      log_ha()->info("the local server (re)started at {}", snap.started_at);
    st.server_started_at = snap.started_at;
    st.wal_usage = {}; // a copy's restart installs slots: their kept WAL is a step, not growth
    full = true;
  }
  st.local_snap = snap;
  st.slot_watch = model::watch_slots(st.slot_watch, snap.slots, snap.as_of);
  st.local_seen_at = ha_now(st);
  observe_standby_slots(st);
  observe_streaming(st);
  auto leader_before = st.leader;
  infer_role(self, snap);
  if (st.leader != leader_before)
    leader_sampled = false; // that sample was of the previous leader
  if (leader_sampled || !samples_leader(st)) {
    plan_and_apply(self, snap, full);
    return;
  }
  cycle_request<leader_snapshot>(
      self, st.leader_conn,
      [self, snap, full](leader_snapshot& ls) {
        take_leader_sample(self, std::move(ls));
        plan_and_apply(self, snap, full);
      },
      [self, snap, full](caf::error& e) {
        take_leader_sample(self, no_answer(self->state, e));
        plan_and_apply(self, snap, full);
      },
      snapshot_atom_v);
}

void observe_local(self_ptr self, bool full, bool leader_sampled) {
  auto& st = self->state;
  // A full cycle reads the operator figures with its snapshot (one request);
  // they are taken when the cycle ends (end_tick).
  const bool details = full && slot_details_wanted(st);
  auto answered = [self, full, leader_sampled](local_snapshot& snap) {
    self->state.cycle_details = std::move(snap.details);
    after_local(self, std::move(snap), full, leader_sampled);
  };
  // No answer: the figures are not read either, and those of the last
  // cycle stay (as when the server does not answer).
  auto failed = [self, full, leader_sampled](caf::error& e) {
    local_snapshot snap;
    snap.error = "no answer from the local connection: " + caf::to_string(e);
    self->state.cycle_details.reset();
    after_local(self, std::move(snap), full, leader_sampled);
  };
  if (details)
    cycle_request<local_snapshot>(self, st.local, answered, failed, snapshot_atom_v, details_atom_v);
  else
    cycle_request<local_snapshot>(self, st.local, answered, failed, snapshot_atom_v);
}

// Between full cycles, a replica reads its leader first, and the local
// server only when the leader's logical slots moved: an idle cluster costs
// one query per sample. While a copy waits to be proven safe or is behind
// the leader, every sample reads both, local first as in a full cycle (a
// readiness proof compares the local catalog_xmin with the leader's read
// after it).
void sample_between_cycles(self_ptr self) {
  auto& st = self->state;
  if (!st.readiness.pending.empty() || st.copies_behind) {
    observe_local(self, false, false);
    return;
  }
  cycle_request<leader_snapshot>(
      self, st.leader_conn,
      [self](leader_snapshot& ls) {
        if (take_leader_sample(self, std::move(ls)))
          observe_local(self, false, true);
        else
          end_tick(self, false);
      },
      [self](caf::error& e) {
        take_leader_sample(self, no_answer(self->state, e));
        end_tick(self, false);
      },
      snapshot_atom_v);
}

void on_watchdog(self_ptr self) {
  auto& st = self->state;
  st.watchdog_armed = false;
  if (!st.waiting)
    return; // the next request arms it again
  if (ha_now(st) < st.waiting->since + st.settings.request_timeout) {
    arm_watchdog(self); // a later request than the one it was armed for
    return;
  }
  auto give_up = std::move(st.waiting->give_up);
  st.waiting.reset(); // its reply, if one ever comes, is dropped
  ++st.requests_given_up;
  auto e = caf::make_error(caf::sec::request_timeout);
  give_up(e);
}

} // namespace

void arm_watchdog(self_ptr self) {
  auto& st = self->state;
  if (st.watchdog_armed || !st.waiting)
    return;
  st.watchdog_armed = true;
  auto due = st.waiting->since + st.settings.request_timeout;
  auto delay = std::max(std::chrono::ceil<std::chrono::milliseconds>(due - ha_now(st)), 1ms); // never early
  // A closure the loop runs itself (as an I/O completion): CAF's clock
  // carries this one message, not one per request.
  self->delayed_send(self, delay, io_done{[self] { on_watchdog(self); }});
}

bool take_reply(ha_state& st, std::uint64_t id) {
  if (!st.waiting || st.waiting->id != id)
    return false;
  st.waiting.reset();
  return true;
}

void run_tick(self_ptr self) {
  auto& st = self->state;
  if (st.tick_running)
    return;
  auto now = ha_now(st);
  bool copy_due = st.copy_due_at && now >= *st.copy_due_at;
  bool full = st.full_cycle_due || copy_due || now - st.last_full_cycle >= st.settings.cfg.loop_wait;
  if (full) {
    st.full_cycle_due = false;
    st.copy_due_at.reset();
    st.last_full_cycle = now;
  }
  st.tick_running = true;
  st.tick_started = now;
  ++st.ticks;
  audit_due_advances(st);
  expire_creations(st, now);
  if (!st.creating.empty())
    self->send(st.leader_conn, standby_snapshot_atom_v); // a copy being created waits for one
  if (full)
    observe_local(self, true, false);
  else if (samples_leader(st))
    sample_between_cycles(self);
  else
    end_tick(self, false); // a primary has nothing to do between full cycles
}

void run_now(self_ptr self) {
  self->state.full_cycle_due = true;
  run_tick(self);
}

} // namespace slotd::actors::ha
