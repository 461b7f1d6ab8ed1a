// Copies by creation (postgresql.copy_method create; auto on 16), the HA
// loop's part: it orders them from the slot copier, which has the advance
// worker of each slot's database create the slot on this replica (no
// restart; actors/copier_create.cpp), and takes the outcome. A created copy
// starts where the replica is, which may be past the leader slot's
// confirmed_flush_lsn: it joins the readiness queue, not proven yet, and is
// failover-ready only once the leader's slot has passed it and the
// readiness proof holds (docs/slot-rules.md §2.3.24).
#include "actors/ha_steps.hpp"

namespace slotd::actors::ha {

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
    st.creating.insert(n);
  }
  if (!order.slots.empty())
    self->send(st.copier, std::move(order));
}

void on_copy_created(self_ptr self, copy_created& c) {
  auto& s = self->state;
  s.creating.erase(c.slot);
  s.copier_now = c.counts;
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
