// The HA loop's side of copies: which slots to copy and by which method,
// the wait that makes one restart serve a burst (copy_settle), the orders
// to the slot copier (a file copy, or creations on this replica with
// copy_method create), and the copier's reports and answers.
//
// Copies by creation (postgresql.copy_method create; auto on 16): the
// copier has the advance worker of each slot's database create the slot on
// this replica (no restart; actors/copier_create.cpp). A created copy
// starts where the replica is, which may be past the leader slot's
// confirmed_flush_lsn: it joins the readiness queue, not proven yet, and is
// failover-ready only once the leader's slot has passed it and the
// readiness proof holds (docs/slot-rules.md §2.3.24).
#include "actors/ha_steps.hpp"

using namespace std::chrono_literals;

namespace slotd::actors::ha {

namespace {

// The slots to copy by each method (pg/model/copy_method.hpp): with auto
// on 16, a slot's method depends on whether the leader's slot has a
// consumer, and a slot whose use is not decided yet waits (`wait_ms`: the
// shortest time left).
struct copies_by_method {
  std::vector<std::string> create, file, undecided;
  std::chrono::milliseconds wait{0};
  std::string refusal; // no method for these slots (e.g. create before 16)
};

copies_by_method split_by_method(ha_state& st, const std::vector<std::string>& names) {
  copies_by_method out;
  auto* sample = leader_sample_current(st) ? followed_leader_sample(st) : nullptr; // none while the leader is away
  for (auto& n : names) {
    // The leader's slot not known (no answered sample of the leader, or it
    // lacks the slot: a re-copy while the leader is away), or without a
    // position (being created there): the file copy, as before auto
    // watched consumers, which fails and backs off (copy_retry) until the
    // leader has the slot, and holds no other copy meanwhile.
    model::leader_slot_use_verdict use{model::leader_slot_use::unused, {}};
    if (sample)
      if (auto it = sample->slots.find(n); it != sample->slots.end()) {
        auto seen = st.leader_positions.slots.find(n);
        bool ours = seen != st.leader_positions.slots.end() && st.leader_positions.leader == sample->leader;
        use = model::leader_slot_use_of(it->second, ours ? &seen->second : nullptr);
      }
    auto m = model::choose_copy_method(st.settings.cfg.postgresql.copy_method, server_major(st), use.use);
    if (m.wait) {
      out.undecided.push_back(n);
      out.wait = out.undecided.size() == 1 ? use.wait : std::min(out.wait, use.wait);
    } else if (!m.method)
      out.refusal = m.refusal;
    else
      (*m.method == model::copy_method::create ? out.create : out.file).push_back(n);
  }
  return out;
}

// Auto on 16: slots whose leader slot has not shown yet whether a consumer
// uses it are neither created nor copied, and the file copies of the others
// wait for them too (one restart for all); a full cycle comes when the
// watch ends (at least a second on: no cycles back to back).
void wait_for_consumers(ha_state& st, const copies_by_method& split) {
  if (split.undecided.empty()) {
    st.undecided_copies.clear();
    return;
  }
  if (split.undecided != st.undecided_copies)
    log_slots()->info("copy of logical slot(s) {} waits up to {} ms to see whether a consumer uses the leader's slot "
                      "(copy_method auto on 16: created here if one does, a file copy if none does)",
                      fmt::join(split.undecided, ", "), split.wait.count());
  st.undecided_copies = split.undecided;
  auto due = ha_now(st) + std::max<std::chrono::milliseconds>(split.wait, 1s);
  st.copy_due_at = st.copy_due_at ? std::min(*st.copy_due_at, due) : due;
}

// One restart per burst (pg/model/copy_settle.hpp): whether the file copy
// of `names` (not empty) starts now; if not, a full cycle when it may.
bool settle_file_copies(ha_state& st, const std::vector<std::string>& names) {
  model::copy_settle_input in;
  in.now = ha_now(st);
  in.settle = st.settings.cfg.postgresql.copy_settle;
  in.to_copy = names;
  in.settling = st.settling;
  in.last_restart_end = st.last_restart_end;
  auto d = model::settle_copies(in);
  if (!d.copy_now && d.waiting != model::settle_wait::none) {
    if (st.settle.waiting == model::settle_wait::none)
      log_slots()->info("copy of logical slot(s) {} waits {} ms: {}", fmt::join(names, ", "),
                        std::chrono::duration_cast<std::chrono::milliseconds>(d.not_before - in.now).count(),
                        model::to_string(d.waiting));
    st.copy_due_at = st.copy_due_at ? std::min(*st.copy_due_at, d.not_before) : d.not_before;
  }
  st.settle = d;
  return d.copy_now;
}

} // namespace

bool copy_settled(self_ptr self, const std::vector<std::string>& all) {
  auto& st = self->state;
  auto split = split_by_method(st, all);
  wait_for_consumers(st, split);
  if (!split.create.empty())
    return true; // creations restart nothing: at once
  if (!split.undecided.empty())
    return false; // the verdicts first (wait_for_consumers set when)
  if (split.file.empty())
    return true;
  return settle_file_copies(st, split.file);
}

bool start_copy(self_ptr self, const std::vector<std::string>& all, const std::vector<std::string>& recopies) {
  auto& st = self->state;
  if (st.copying || all.empty())
    return false;
  if (!st.copy_retry.allows(ha_now(st))) {
    st.copy_due_at = st.copy_retry.not_before; // a full cycle then, not a loop_wait later
    return false;
  }
  auto split = split_by_method(st, all);
  wait_for_consumers(st, split);
  if (!split.refusal.empty() && server_major(st) > 0 && should_log(st, "copy-method")) {
    log_slots()->error("not copying logical slot(s): {}", split.refusal);
    record_error(st, model::error_kind::config, "", split.refusal);
  }
  if (!split.create.empty())
    create_copies(self, split.create, recopies);
  const auto& names = split.file;
  // Re-copy requests are kept (false) until every planned copy is ordered.
  if (!split.undecided.empty())
    return false;
  if (names.empty())
    return !split.create.empty();
  // A file copy stops the server: not while slots are being created there
  // (their backends would be killed). "Not ordered" keeps re-copy requests.
  if (!st.creating.empty() || !settle_file_copies(st, names))
    return false;
  copy_order order;
  order.leader = st.leader;
  auto now = ha_now(st);
  for (auto& n : names) {
    auto d = st.desired.find(n);
    if (d == st.desired.end() || d->second.type != model::slot_type::logical)
      continue;
    order.slots.push_back({n, d->second.database, d->second.plugin});
    auto s = st.settling.find(n);
    if (std::find(recopies.begin(), recopies.end(), n) != recopies.end())
      order.causes[n] = "re-copy";
    else if (s != st.settling.end() && s->second.on_leader)
      order.causes[n] = fmt::format("missing here, on the leader since {:.1f} s",
                                    std::chrono::duration<double>(now - s->second.since).count());
    else
      order.causes[n] = "missing here";
  }
  if (order.slots.empty())
    return false;
  st.copying = true;
  st.copy_recopies = recopies;
  st.copy_causes = order.causes;
  order.recopies = recopies;
  clean_workers(self); // no advance of a slot about to be replaced (patroni#3098)
  self->send(st.copier, std::move(order));
  return true;
}

void on_copy_report(self_ptr self, copy_report& r) {
  auto& st = self->state;
  // At start: re-copies recorded by an earlier run still count (wall clock
  // to this process's steady clock).
  for (auto& [slot, times] : r.recopy_history)
    for (auto t : times)
      st.recopies.record(slot, ha_now(st) - std::chrono::duration_cast<steady::duration>(wall_clock::now() - t));
  if (!r.recopy_history.empty())
    return;
  st.copying = r.phase == copy_phase::fetching || r.phase == copy_phase::restarting;
  st.restarting = r.phase == copy_phase::restarting || r.phase == copy_phase::server_down;
  bool was_down = st.server_down;
  st.server_down = r.phase == copy_phase::server_down;
  if (st.server_down && !was_down)
    record_error(st, model::error_kind::server, "", "the local server is down after a slot copy: " + r.error);
  // The server back after a failed start (server_down → idle) or a copy that
  // ended: a full cycle at once.
  bool ended = was_down && !st.server_down;
  if (ended) {
    st.last_restart_end = ha_now(st);
    audit_server_back(st, r);
  }
  if (r.finished && (st.copy.phase == copy_phase::fetching || st.copy.phase == copy_phase::restarting)) {
    audit_copy_report(st, r);
    if (r.stopped) {
      st.last_restart_end = ha_now(st);
      // Only copies that restarted the server count toward the limit (the
      // slots that were refused before the stop do not).
      for (auto& n : st.copy_recopies)
        if (std::none_of(r.refused.begin(), r.refused.end(), [&](const model::refused_slot& x) { return x.slot == n; }))
          st.recopies.record(n, ha_now(st));
    }
    auto now = wall_clock::now();
    for (auto& n : r.installed) {
      st.readiness.pending[n] = std::nullopt; // not proven safe yet
      st.pending_since[n] = now;
      st.recopy_refused.erase(n);
    }
    if (!r.installed.empty())
      st.copy_retry.succeeded();
    else if (!r.cancelled) {
      st.copy_retry.failed(ha_now(st));
      if (st.copy_retry.failures_in_row > 1)
        log_slots()->info("{} copies in a row installed nothing: the next attempt in {} s",
                          st.copy_retry.failures_in_row,
                          model::copy_retry::delay(st.copy_retry.failures_in_row).count());
    }
    if (!r.error.empty() && !r.cancelled) {
      record_error(st, model::error_kind::copy, fmt::format("{}", fmt::join(r.slots, ",")), r.error);
    }
    st.last_copy = fmt::format("{}: {}{}", fmt::join(r.slots, ", "),
                               r.installed.empty() ? "not installed" : "installed " + fmt::format("{}", fmt::join(r.installed, ", ")),
                               r.error.empty() ? "" : ": " + r.error);
    st.copy_recopies.clear();
    st.copy_causes.clear();
    ended = true;
  }
  st.copier_now = r.counts;
  st.copy = std::move(r);
  if (ended)
    run_now(self); // a full cycle at once after a copy
}

// ---------------------------------------------------------- by creation

void create_copies(self_ptr self, const std::vector<std::string>& names, const std::vector<std::string>& recopies) {
  auto& st = self->state;
  create_order order;
  for (auto& n : names) {
    if (st.creating.contains(n))
      continue;
    auto d = st.desired.find(n);
    if (d == st.desired.end() || d->second.type != model::slot_type::logical)
      continue;
    bool replace = std::find(recopies.begin(), recopies.end(), n) != recopies.end();
    order.slots.push_back(
        {{n, d->second.database, d->second.plugin, false}, worker_for(self, d->second.database), replace});
    // The copier's request has the creation's budget plus 10 s; its answer
    // is awaited 5 s longer.
    st.creating[n] = ha_now(st) + model::slot_creation_budget + 15s;
  }
  if (!order.slots.empty())
    self->send(st.copier, std::move(order));
}

void expire_creations(ha_state& st, steady::time_point now) {
  for (auto it = st.creating.begin(); it != st.creating.end();) {
    if (now < it->second) {
      ++it;
      continue;
    }
    log_slots()->warn("no answer about the creation of the copy of logical slot {}: created again if it is missing, "
                      "and every copy proven again",
                      it->first);
    st.rebuild_readiness = true;
    it = st.creating.erase(it);
  }
}

void on_copy_created(self_ptr self, copy_created& c) {
  auto& s = self->state;
  s.creating.erase(c.slot);
  s.copier_now = c.counts;
  if (s.told == model::told_role::primary) {
    // Ordered as a replica, answered after a promote: a slot created on
    // this server now is no copy of the old leader's (the promote reply
    // named it unsafe), and a failure is no copy error. The primary's own
    // rules keep or create the slot from the next cycle on.
    log_slots()->warn("the creation of the copy of logical slot {} ended after this node was promoted ({}): "
                      "not counted as a copy; its consumers may have skipped changes since their last confirmation",
                      c.slot, c.failure ? c.failure->what() : "created");
    run_now(self);
    return;
  }
  if (c.failure) {
    // A creation that did not answer may still run and finish unseen: every
    // copy is proven again (rebuilt readiness queue).
    s.rebuild_readiness = true;
    record_error(s, model::error_kind::copy, c.slot, c.failure->what());
    s.copy_retry.failed(ha_now(s));
    return;
  }
  audit_flush(s, c.slot);
  audit(s, model::audit_action::copy, "advance_worker " + c.database, c.slot, std::nullopt, std::nullopt,
        model::audit_rule::copy_by_creation,
        c.replace ? "created again on this replica (its copy was invalid), no restart"
                  : "created on this replica, no restart");
  if (c.replace)
    s.recopies.record(c.slot, ha_now(s));
  s.copy_retry.succeeded();
  s.readiness.pending[c.slot] = std::nullopt; // not proven safe yet
  s.pending_since[c.slot] = wall_clock::now();
  s.recopy_refused.erase(c.slot);
  s.last_copy = fmt::format("{}: created here in {} ms", c.slot, c.took.count());
  run_now(self);
}

} // namespace slotd::actors::ha
