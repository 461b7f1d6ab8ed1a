// POST /promote on the HA loop: refused while a copy holds the server;
// otherwise the final advance of the local copies (pg/model/promotion:
// plan_final_advance) on the advance workers, within the request's
// deadline, then the verdict (judge_promotion): what /readiness said just
// before, slot by slot, with the reasons.
#include <memory>

#include "actors/ha_steps.hpp"
#include "pg/model/desired_slots.hpp"
#include "pg/model/promotion.hpp"

namespace slotd::actors::ha {

namespace {

// What the reply judges by: the replica's desired slots and readiness as
// they stood when the promote came (ticks during the final advance already
// run the primary rules, which clear the readiness queue).
struct promotion {
  std::uint64_t generation = 0;
  std::string leader; // the leader this node followed when the promote came
  promote_request req;
  caf::typed_response_promise<promote_reply> rp;
  steady::time_point started;
  steady::time_point deadline; // answer by it, plus the loop's slack
  model::desired_set desired;
  model::readiness_queue readiness;
  std::optional<model::slot_cache> leader_slots; // the old leader's last known slots
  model::slot_positions final_leader;            // the leader positions the final advance aimed at
  // 17+: why the old leader's synchronized_standby_slots did not protect
  // this node when the promote came ("" when it did): its failover slots
  // are then unsafe.
  std::string protection_gap;
  std::size_t waiting = 0;                       // final advances not answered yet
  std::map<std::string, pg::lsn> advanced;       // slot → position after the final advance
  std::map<std::string, slot_failure> failed;    // slot → why its final advance failed
  std::map<std::string, pg::lsn> before, reached; // the final advances: from where, to where
  // handover_from: what the old primary's agent handed over (nullopt: none).
  std::optional<std::map<std::string, pg::lsn>> handed;
  std::optional<handover_report> handover;
};

// A step of a promote that a demote (or another promote) overtook: it
// answers the caller and changes nothing.
bool superseded(self_ptr self, const std::shared_ptr<promotion>& p) {
  auto& st = self->state;
  if (p->generation == st.promote_generation && st.told == model::told_role::primary)
    return false;
  promote_reply r;
  r.refused = refusal::busy;
  r.error = "this promote was overtaken by a demote or another promote: nothing more was done";
  p->rp.deliver(std::move(r));
  return true;
}

promote_reply refused_during_copy(const ha_state& st) {
  promote_reply r;
  r.refused = refusal::busy;
  r.error = fmt::format("a slot copy is under way since {} (phase {}, slots {}): the local server is {}; "
                        "retry when it is done",
                        iso_time(st.copy.started_at), to_string(st.copy.phase), fmt::join(st.copy.slots, ", "),
                        st.server_down ? "down and being started again" : "stopped or about to be");
  return r;
}

// The final advances the workers made, one event each (also when the
// promote was overtaken since: they happened).
void audit_final_advances(ha_state& st, const promotion& p) {
  for (auto& [slot, lsn] : p.reached) {
    auto before = p.before.find(slot);
    if (before != p.before.end() && lsn <= before->second)
      continue; // already there
    audit_flush(st, slot);
    std::string db;
    if (st.local_snap)
      if (auto it = st.local_snap->slots.find(slot); it != st.local_snap->slots.end())
        db = it->second.database;
    audit(st, model::audit_action::advance, "advance_worker " + db, slot,
          before != p.before.end() ? std::optional(before->second) : std::nullopt, lsn, model::audit_rule::promote,
          "final advance");
  }
}

void finish(self_ptr self, std::shared_ptr<promotion> p) {
  audit_final_advances(self->state, *p);
  if (superseded(self, p))
    return;
  auto& st = self->state;
  st.promote_in_progress = false;
  if (p->handover && p->handed) {
    // Handed over = the copy is now exactly at (or past) the handed-over
    // position; the others were cut at replay, or their advance failed.
    auto handed = std::move(p->handover->handed_over);
    p->handover->handed_over.clear();
    for (auto& slot : handed) {
      auto at = p->advanced.find(slot);
      auto want = p->handed->find(slot);
      if (at != p->advanced.end() && want != p->handed->end() && at->second >= want->second)
        p->handover->handed_over.push_back(slot);
      else
        p->handover->not_reached.push_back(slot);
    }
  }
  auto local = st.local_snap ? model::visible_slots(st.local_snap->slots, server_major(st)) : model::slot_cache{};
  static const std::vector<model::failover_slot_state> no_failover;
  auto& failover = st.local_snap ? st.local_snap->failover_slots : no_failover;
  auto verdict = model::judge_promotion(p->desired, local, p->readiness, server_major(st), failover,
                                        p->final_leader, p->protection_gap);
  for (auto& name : model::uncopied_as_nofailover(st.view, st.my_name()))
    if (std::find(verdict.unsafe.begin(), verdict.unsafe.end(), name) == verdict.unsafe.end()) {
      verdict.unsafe.push_back(name);
      verdict.reasons[name] = model::uncopied_as_nofailover_reason;
    }
  promote_reply r;
  r.role = "primary";
  r.advanced = p->advanced;
  r.ready = std::move(verdict.ready);
  r.unsafe = std::move(verdict.unsafe);
  r.reasons = std::move(verdict.reasons);
  r.handover = p->handover;
  for (auto& [slot, why] : p->failed)
    log_slots()->error("promote: final advance of {} failed: {}", slot, why.what());
  if (!r.unsafe.empty())
    log_slots()->warn("logical replication slots that might be unsafe to use after promote: {}",
                      fmt::join(r.unsafe, ", "));
  std::string unsafe;
  for (auto& s : r.unsafe)
    unsafe += (unsafe.empty() ? "" : "; ") + s + (r.reasons.contains(s) ? " (" + r.reasons[s] + ")" : "");
  audit(st, model::audit_action::promote, "ha_loop", "", std::nullopt, std::nullopt, model::audit_rule::promote,
        fmt::format("ready: [{}]; unsafe: [{}]{}", fmt::join(r.ready, ", "), unsafe,
                    p->handover ? "; handover from " + p->handover->from : ""));
  log_ha()->info("promote: done in {} ms; ready: [{}], unsafe: [{}]",
                 std::chrono::duration_cast<std::chrono::milliseconds>(ha_now(st) - p->started).count(),
                 fmt::join(r.ready, ", "), fmt::join(r.unsafe, ", "));
  st.readiness.pending.clear();
  run_now(self);
  p->rp.deliver(std::move(r));
}

void final_advance(self_ptr self, std::shared_ptr<promotion> p, const local_snapshot& snap) {
  if (superseded(self, p))
    return;
  auto& st = self->state;
  if (snap.reachable)
    st.local_snap = snap;
  const auto& local = st.local_snap ? st.local_snap->slots : model::slot_cache{};
  for (auto& [name, slot] : local)
    if (slot.type == model::slot_type::logical && slot.confirmed_flush_lsn) {
      p->advanced[name] = *slot.confirmed_flush_lsn;
      p->before[name] = *slot.confirmed_flush_lsn;
    }
  auto aims = model::apply_handover(local, p->leader_slots, p->handed);
  if (p->handover) {
    p->handover->handed_over = aims.handed_over;
    p->handover->from_samples = aims.from_samples;
    const auto& checkpoint = p->handover->checkpoint_lsn;
    if (checkpoint && snap.replay_lsn && *snap.replay_lsn < *checkpoint)
      log_ha()->warn("promote: replayed up to {} only, before the old primary's shutdown checkpoint {}: handed-over "
                     "positions past it are cut to it",
                     snap.replay_lsn->str(), checkpoint->str());
  }
  if (aims.leader_slots)
    p->final_leader = model::positions_of(*aims.leader_slots);
  auto targets = model::plan_final_advance(local, aims.leader_slots, snap.replay_lsn);
  if (targets.empty())
    return finish(self, p);
  p->waiting = targets.size();
  for (auto& [db, slots] : targets) {
    auto now = ha_now(st);
    final_advance_request far{slots, p->deadline + model::answer_slack(model::promote_part::final_advance)};
    self->request(worker_for(self, db), model::wait_for(model::promote_part::ha_loop, p->deadline, now), far)
        .then(
            [self, p](final_advance_result& res) {
              for (auto& [slot, lsn] : res.advanced) {
                p->advanced[slot] = lsn;
                p->reached[slot] = lsn;
              }
              for (auto& [slot, why] : res.failed)
                p->failed[slot] = why;
              if (--p->waiting == 0)
                finish(self, p);
            },
            [self, p, slots](caf::error& e) {
              for (auto& [slot, lsn] : slots)
                p->failed[slot] = slot_failure{own_reason::no_answer, caf::to_string(e)};
              if (--p->waiting == 0)
                finish(self, p);
            });
  }
}

void read_and_advance(self_ptr self, std::shared_ptr<promotion> p);

} // namespace

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
    auto r = refused_during_copy(st);
    log_ha()->warn("promote refused: {}", r.error);
    rp.deliver(std::move(r));
    return;
  }
  if (req.handover_from) {
    const auto& from = *req.handover_from;
    std::string bad = !st.view.members.contains(from) ? "unknown member '" + from + "': handover_from must be a member"
                      : from == st.my_name()         ? "'" + from + "' is this agent: handover_from names the old primary"
                                                     : "";
    if (!bad.empty()) {
      promote_reply r;
      r.refused = refusal::bad_request;
      r.error = bad;
      rp.deliver(std::move(r));
      return;
    }
  }
  log_ha()->info("promote: final advance of the logical slots (timeout {} ms{})", req.timeout.count(),
                 req.handover_from ? ", positions handed over from " + *req.handover_from : std::string());
  auto p = std::make_shared<promotion>();
  p->req = req;
  p->rp = rp;
  p->started = ha_now(st);
  p->deadline = p->req.fix_deadline(p->started);
  p->generation = ++st.promote_generation;
  p->leader = st.leader.value_or("");
  p->desired = st.desired;
  p->readiness = st.readiness;
  p->protection_gap = protection_gap_here(st);
  if (auto* sample = followed_leader_sample(st))
    p->leader_slots = sample->slots;
  st.told = model::told_role::primary;
  st.role_source = ha_state::role_teller::message;
  st.promote_in_progress = true;
  audit_flush_all(st); // the replica's advances, before the promote's events
  st.inactivity_floor = wall_clock::now(); // consumers get inactive_for to reconnect
  // /status says "promoting" from now until the server leaves recovery
  // (the next cycle confirms it from pg_is_in_recovery()).
  if (!st.local_snap || st.local_snap->in_recovery)
    st.role = model::node_role::promoting;
  set_leader(self, std::nullopt);
  clean_workers(self);
  if (!req.handover_from)
    return read_and_advance(self, p);
  auto bound = model::handover_wait(p->deadline, ha_now(st));
  if (*req.handover_from != p->leader) {
    // Only the leader this node followed can hand its positions over: any
    // other server's slots are not the ones this node's copies follow.
    p->handover = handover_report{*req.handover_from, {}, {}, {},
                                  "handover_from " + *req.handover_from + " is not the leader this node follows (" +
                                      (p->leader.empty() ? std::string("none known") : p->leader) +
                                      "): nothing handed over",
                                  std::nullopt};
    log_ha()->warn("promote: {}", p->handover->error);
    return read_and_advance(self, p);
  }
  fetch_handover(self, *req.handover_from, bound, [self, p](handover_fetch f) {
    if (superseded(self, p))
      return;
    p->handover = handover_report{*p->req.handover_from, {}, {}, {}, f.error, f.checkpoint_lsn};
    if (f.positions)
      p->handed = std::move(f.positions);
    else
      log_ha()->warn("promote: no final positions from {} ({}): the final advance uses the last samples",
                     *p->req.handover_from, f.error);
    read_and_advance(self, p);
  });
}

namespace {

void read_and_advance(self_ptr self, std::shared_ptr<promotion> p) {
  auto& st = self->state;
  auto wait = std::min(st.settings.request_timeout, model::wait_for(model::promote_part::ha_loop, p->deadline, ha_now(st)));
  self->request(st.local, wait, snapshot_atom_v)
      .then([self, p](local_snapshot& snap) { final_advance(self, p, snap); },
            [self, p](caf::error& e) {
              if (superseded(self, p))
                return;
              // The agent keeps the primary role (a promote never blocks the
              // promotion): the HA manager may promote the server anyway.
              self->state.promote_in_progress = false;
              log_ha()->error("promote: the local server did not answer ({}): no final advance", caf::to_string(e));
              audit(self->state, model::audit_action::promote, "ha_loop", "", std::nullopt, std::nullopt,
                    model::audit_rule::promote,
                    "told primary; no final advance: the local server did not answer: " + caf::to_string(e));
              promote_reply r;
              r.role = "primary";
              r.refused = refusal::unavailable;
              r.error = "local server did not answer: " + caf::to_string(e);
              p->rp.deliver(std::move(r));
            });
}

} // namespace

} // namespace slotd::actors::ha
