// The audit trail: every change this agent makes, one event in the ring
// (GET /events) and one JSON line in log.audit_file; advances summed up per
// slot (pg/model/audit.hpp).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "actors/audit_log.hpp"
#include "actors/ha_state.hpp"

namespace slotd::actors {

namespace {

// Timed, this node's, numbered in the ring, and written to the file.
void keep(ha_state& st, model::audit_event e) {
  e.at = wall_clock::now();
  e.run = st.audit_run;
  e.node = st.my_name();
  const auto& kept = st.audit.add(std::move(e));
  if (st.settings.audit_out)
    st.settings.audit_out->write(kept);
}

void audit_summary(ha_state& st, const model::advance_summary& s) {
  model::audit_event e;
  e.actor = s.actor;
  e.action = model::audit_action::advance;
  e.slot = s.slot;
  e.before = s.before;
  e.after = s.after;
  e.rule = s.rule;
  e.advances = s.advances;
  e.detail = s.jump ? "a jump of more than " + std::to_string(model::advance_summary_policy{}.jump_bytes >> 20) + " MiB"
                    : s.advances == 1 ? "1 advance" : std::to_string(s.advances) + " advances";
  keep(st, std::move(e));
}

} // namespace

void audit(ha_state& st, model::audit_action action, std::string actor, std::string slot,
           std::optional<pg::lsn> before, std::optional<pg::lsn> after, std::string_view rule, std::string detail) {
  model::audit_event e;
  e.actor = std::move(actor);
  e.action = action;
  e.slot = std::move(slot);
  e.before = before;
  e.after = after;
  e.rule = rule;
  e.detail = std::move(detail);
  keep(st, std::move(e));
}

void audit_advance(ha_state& st, std::string_view actor, const std::string& slot, std::optional<pg::lsn> before,
                   pg::lsn after, std::string_view rule) {
  if (auto s = st.advance_digest.note(slot, before, after, rule, actor, ha_now(st), {}))
    audit_summary(st, *s);
}

void audit_due_advances(ha_state& st) {
  if (!st.advance_digest.pending())
    return;
  for (auto& s : st.advance_digest.due(ha_now(st), {}))
    audit_summary(st, s);
}

std::optional<pg::lsn> local_position(const ha_state& st, const std::string& slot) {
  if (!st.local_snap)
    return std::nullopt;
  auto it = st.local_snap->slots.find(slot);
  return it == st.local_snap->slots.end() ? std::nullopt : model::position_of(it->second);
}

events_reply events_since(const ha_state& st, std::uint64_t since) {
  auto page = st.audit.since(since);
  return {st.my_name(), st.audit_run, std::move(page.events), page.next, page.missed};
}

nlohmann::json audit_dump(const ha_state& st) {
  auto& f = st.settings.audit_out;
  return {{"run", st.audit_run},
          {"last_seq", st.audit.last_seq()},
          {"file", f ? nlohmann::json(f->path()) : nlohmann::json(nullptr)},
          {"file_lines_dropped", f ? f->dropped() : 0}};
}

void audit_flush(ha_state& st, const std::string& slot) {
  if (auto s = st.advance_digest.flush(slot, ha_now(st)))
    audit_summary(st, *s);
}

void audit_flush_all(ha_state& st) {
  for (auto& s : st.advance_digest.flush_all(ha_now(st)))
    audit_summary(st, s);
}

void audit_local_outcome(ha_state& st, const local_actions& done, const action_outcome& o) {
  using model::audit_action;
  if (!o.ok())
    return;
  switch (o.action) {
  case slot_action::drop:
    audit_flush(st, o.slot);
    if (o.result != outcome::absent) {
      auto d = std::find_if(done.drops.begin(), done.drops.end(), [&](auto& x) { return x.name == o.slot; });
      audit(st, audit_action::drop, "local_connection", o.slot, local_position(st, o.slot), std::nullopt,
            d != done.drops.end() ? model::drop_rule(d->reason) : std::string("§3.13 Drop rules"), "");
    }
    break;
  case slot_action::create_physical:
    audit(st, audit_action::create, "local_connection", o.slot, std::nullopt, std::nullopt,
          model::audit_rule::physical_slot, "physical");
    break;
  case slot_action::advance_physical:
  {
    // `target`: where the slot got to; the same position when capped (at
    // what a standby replayed): no advance then.
    auto before = local_position(st, o.slot);
    if (o.target && (!before || *o.target > *before))
      audit_advance(st, "local_connection", o.slot, before, *o.target, model::audit_rule::physical_advance);
    break;
  }
  case slot_action::set_standby_slots: {
    auto was = st.local_snap ? st.local_snap->synchronized_standby_slots : std::nullopt;
    audit(st, audit_action::standby_slots_change, "local_connection", "", std::nullopt, std::nullopt,
          model::audit_rule::standby_slots,
          fmt::format("from {} to '{}'", was ? "'" + *was + "'" : std::string("(not read)"), o.slot));
    break;
  }
  case slot_action::create_logical:
    break; // audited where its request is answered (primary create, copy by creation)
  }
}

void audit_server_back(ha_state& st, const copy_report& r) {
  audit(st, model::audit_action::restart, "slot_copier", "", std::nullopt, std::nullopt,
        model::audit_rule::restart_per_burst,
        fmt::format("the server runs again after {} start attempt(s) (copy of {})", r.start_attempts,
                    fmt::join(r.slots, ", ")));
}

void audit_copy_report(ha_state& st, const copy_report& r) {
  if (r.stopped)
    audit(st, model::audit_action::restart, "slot_copier", "", std::nullopt, std::nullopt,
          model::audit_rule::restart_per_burst,
          fmt::format("stop {} ms, install {} ms, start {} ms{}; installed: {}{}", r.stop_ms.count(),
                      r.install_ms.count(), r.start_ms.count(), r.start_attempts > 1 ? " (after retries)" : "",
                      fmt::join(r.installed, ", "), r.error.empty() ? "" : "; " + r.error));
  for (auto& n : r.installed) {
    audit_flush(st, n);
    auto cause = st.copy_causes.find(n);
    audit(st, model::audit_action::copy, "slot_copier", n, local_position(st, n), std::nullopt,
          model::audit_rule::file_copy,
          "slot file from " + st.leader.value_or("the leader") +
              (cause != st.copy_causes.end() ? ": " + cause->second : std::string()));
  }
}

} // namespace slotd::actors
