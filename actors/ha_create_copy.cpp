// Copies by creation (postgresql.copy_method create; auto on 16): the
// replica creates the leader's logical slot itself, with logical decoding
// on a standby, instead of installing the leader's file while the server is
// stopped. No restart. The advance worker of the slot's database creates
// it; while it waits for its starting point, every tick asks the leader for
// a running-transactions record (pg_log_standby_snapshot). The new copy
// starts where the replica is, which may be past the leader slot's
// confirmed_flush_lsn: it is failover-ready only once the leader's slot has
// passed it and the readiness proof holds (docs/slot-rules.md §2.3.24).
#include "actors/ha_steps.hpp"

namespace slotd::actors::ha {

void create_copies(self_ptr self, const std::vector<std::string>& names, const std::vector<std::string>& recopies) {
  auto& st = self->state;
  for (auto& n : names) {
    if (st.creating.contains(n))
      continue;
    auto d = st.desired.find(n);
    if (d == st.desired.end() || d->second.type != model::slot_type::logical)
      continue;
    bool replace = std::find(recopies.begin(), recopies.end(), n) != recopies.end();
    create_logical_request req{{n, d->second.database, d->second.plugin, false}, replace};
    st.creating.insert(n);
    auto started = ha_now(st);
    log_slots()->info("creating logical slot {} on this replica{} (copy_method create: no restart)", n,
                      replace ? ", replacing its invalid copy" : "");
    self->send(st.leader_conn, standby_snapshot_atom_v);
    self->request(worker_for(self, d->second.database), model::slot_creation_budget + 10s, std::move(req))
        .then(
            [self, n, replace, started, db = d->second.database](action_outcome& o) {
              auto& s = self->state;
              s.creating.erase(n);
              auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(ha_now(s) - started).count();
              if (!o.ok()) {
                s.rebuild_readiness = true;
                log_slots()->error("creating logical slot {} on this replica failed after {} ms: {}", n, ms,
                                   o.why());
                record_error(s, model::error_kind::copy, n, o.why());
                ++s.copy_failures;
                s.copy_retry.failed(ha_now(s));
                return;
              }
              log_slots()->info("created logical slot {} on this replica in {} ms; failover-ready once the leader's "
                                "slot has passed its confirmed_flush_lsn",
                                n, ms);
              audit_flush(s, n);
              audit(s, model::audit_action::copy, "advance_worker " + db, n, std::nullopt, std::nullopt,
                    model::audit_rule::copy_by_creation,
                    replace ? "created again on this replica (its copy was invalid), no restart"
                            : "created on this replica, no restart");
              ++s.copies;
              ++s.created_copies;
              if (replace) {
                s.recopies.record(n, ha_now(s));
                self->send(s.copier, recopies_made{{n}}); // kept in state_dir, as restarts are
              }
              s.copy_retry.succeeded();
              s.readiness.pending[n] = std::nullopt; // not proven safe yet
              s.pending_since[n] = wall_clock::now();
              s.recopy_refused.erase(n);
              s.last_copy = fmt::format("{}: created here in {} ms", n, ms);
              run_now(self);
            },
            [self, n](caf::error& e) {
              auto& s = self->state;
              s.creating.erase(n);
              // The creation may still run and finish unseen: every copy is
              // proven again (rebuilt readiness queue).
              s.rebuild_readiness = true;
              record_error(s, model::error_kind::copy, n, "creating the copy: " + caf::to_string(e));
              ++s.copy_failures;
              s.copy_retry.failed(ha_now(s));
            });
  }
}

} // namespace slotd::actors::ha
