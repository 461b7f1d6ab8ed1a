// Copies by creation (postgresql.copy_method create; auto on 16): the
// replica creates the leader's logical slot itself, with logical decoding
// on a standby, instead of installing the leader's file while the server is
// stopped. No restart. The advance worker of the slot's database runs the
// creation; the leader is asked for a running-transactions record
// (pg_log_standby_snapshot) so that it finds its starting point now. The
// new copy starts where the replica is, which may be past the leader slot's
// confirmed_flush_lsn: the HA loop counts it failover-ready only once the
// leader's slot has passed it and the readiness proof holds
// (docs/slot-rules.md §2.3.24).
#include "actors/copier_state.hpp"

#include <chrono>

#include <caf/actor_cast.hpp>

#include "pg/model/slot_plan.hpp"

namespace slotd::actors::copier {

namespace {

using namespace std::chrono_literals;

void created(self_ptr self, copy_created done) {
  auto& st = self->state;
  st.creating.erase(done.slot);
  if (done.failure) {
    ++st.counts.failures;
    log_slots()->error("creating logical slot {} on this replica failed after {} ms: {}", done.slot,
                       done.took.count(), done.failure->what());
  } else {
    ++st.counts.copies;
    ++st.counts.created;
    st.last = fmt::format("{}: created here in {} ms", done.slot, done.took.count());
    log_slots()->info("created logical slot {} on this replica in {} ms; failover-ready once the leader's slot has "
                      "passed its confirmed_flush_lsn",
                      done.slot, done.took.count());
    if (done.replace)
      record_recopies(self, {done.slot}); // kept in state_dir, as restarts are
  }
  done.counts = st.counts;
  self->send(st.ha, std::move(done));
}

} // namespace

void on_create_order(self_ptr self, create_order& order) {
  auto& st = self->state;
  for (auto& c : order.slots) {
    const auto& name = c.slot.name;
    if (st.creating.contains(name))
      continue; // its answer clears it in the HA loop
    // Not started: answered at once, so the HA loop does not wait for it.
    // A file copy's stop would kill the creation's backend.
    std::optional<own_reason> refused;
    if (st.draining)
      refused = own_reason::shutting_down;
    else if (st.current.phase != copy_phase::idle)
      refused = own_reason::file_copy_under_way;
    if (refused) {
      created(self, copy_created{name, c.slot.database, c.replace, slot_failure{*refused, ""}, 0ms, {}});
      continue;
    }
    st.creating.insert(name);
    auto started = self->clock().now();
    log_slots()->info("creating logical slot {} on this replica{} (copy_method create: no restart)", name,
                      c.replace ? ", replacing its invalid copy" : "");
    self->send(st.leader, standby_snapshot_atom_v);
    copy_created base{name, c.slot.database, c.replace, std::nullopt, 0ms, {}};
    auto took = [self, started] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(self->clock().now() - started);
    };
    self->request(c.worker, model::slot_creation_budget + 10s, create_logical_request{c.slot, c.replace})
        .then(
            [self, base, took](action_outcome& o) {
              auto done = base;
              done.took = took();
              if (!o.ok()) // a create's outcome is done or failed, with its failure
                done.failure = o.failure ? *o.failure : slot_failure{own_reason::no_answer, "no failure given"};
              created(self, std::move(done));
            },
            [self, base, took](caf::error& e) {
              // The creation may still run and finish unseen: the HA loop
              // proves every copy again.
              auto done = base;
              done.took = took();
              done.failure = slot_failure{own_reason::no_answer, caf::to_string(e)};
              created(self, std::move(done));
            });
  }
}

} // namespace slotd::actors::copier
