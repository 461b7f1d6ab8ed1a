// ha_loop: slotd's HA loop actor. It holds what the HA manager said and
// what the servers last showed (ha_state.hpp) and answers every message of
// the agent's interface, one handler each; the cycle, the actors it drives
// and the promote live in ha_cycle.cpp, ha_support.cpp, ha_copies.cpp and ha_promote.cpp
// (ha_steps.hpp), every decision in pg/model.
//
// Nothing here blocks: every step is a request to another actor (with a
// timeout, or for the tick's requests a watchdog) or a coroutine on the I/O
// thread whose result comes back as a message.
#include <caf/actor_system.hpp>

#include "actors/ha_steps.hpp"
#include "actors/io_bridge.hpp"
#include "actors/json_text.hpp"
#include "actors/spawn.hpp"

namespace slotd::actors {

namespace {

using namespace ha;

// ---------------------------------------------------------------- behavior

ha_loop_private::behavior_type ha_loop(self_ptr self, io_runtime* io, ha_settings settings,
                                       local_connection_actor local, leader_connection_actor leader) {
  auto& st = self->state;
  st.io = io;
  st.clock = &self->clock();
  st.view = settings.cfg.cluster;
  st.settings = std::move(settings);
  st.local = local;
  st.leader_conn = leader;
  self->set_down_handler([self](caf::down_msg& msg) { on_worker_down(self, msg); });
  start_copier(self);
  if (const auto& from = st.settings.cfg.members_from; from.source != config::members_source::config) {
    st.members_awaited = true;
    log_ha()->info("{}: nothing is planned until the members are read from {}{}",
                   config::members_source_label(from.source),
                   config::members_origin(from.source),
                   from.source == config::members_source::repmgr ? " (database " + from.database + ")"
                                                                 : " (formation " + from.formation + ")");
    start_members_reader(self, std::chrono::milliseconds::zero());
  }
  if (st.settings.cfg.role == config::start_role::wait)
    log_ha()->info("role wait: doing nothing until promote or demote");
  st.sample_delay = st.settings.sampling.fastest;
  st.audit_run = iso_time(wall_clock::now());
  self->send(self, tick_atom_v, st.epoch);
  return {
      [=](io_done& d) { d.run(); },
      [=](tick_atom, std::uint64_t epoch) {
        auto& s = self->state;
        if (epoch != s.epoch)
          return; // a stale tick (delayed_send cannot be cancelled)
        run_tick(self); // schedules the next tick when it ends
      },
      [=](copy_report& r) { on_copy_report(self, r); },
      [=](copy_created& c) { on_copy_created(self, c); },
      // Shutdown: answers once no slot copy holds the local server.
      [=](stop_atom) -> caf::result<bool> {
        audit_flush_all(self->state); // what added up, before the agent ends
        return self->delegate(self->state.copier, stop_atom_v);
      },
      [=](advance_report& rep) {
        auto& s = self->state;
        if (!rep.error) {
          if (rep.reached)
            audit_advance(s, "advance_worker " + rep.database, rep.slot, local_position(s, rep.slot), *rep.reached,
                          model::audit_rule::advance_on_replica);
          return;
        }
        const auto& err = *rep.error;
        auto action = model::classify_advance_error(err.sqlstate);
        auto text = fmt::format("advance of logical slot {} in database {} to {} failed: [{}] {}", rep.slot,
                                rep.database, rep.target.str(), err.sqlstate, err.message);
        switch (action) {
        case model::advance_error_action::recopy:
          log_slots()->error("{}: the slot will be copied again from the leader", text);
          if (std::find(s.recopy_requests.begin(), s.recopy_requests.end(), rep.slot) == s.recopy_requests.end())
            s.recopy_requests.push_back(rep.slot);
          run_now(self);
          break;
        case model::advance_error_action::retry:
          if (should_log(s, "advance-" + rep.slot))
            log_slots()->error("{}", text);
          break;
        }
        record_error(s, model::error_kind::advance, rep.slot, err.message);
      },
      [=](config_reload& r) {
        auto& s = self->state;
        auto members_from = s.settings.cfg.members_from; // needs a restart: the reader runs on
        auto name = s.settings.cfg.name;
        s.settings.cfg = r.cfg;
        s.settings.cfg.members_from = members_from;
        // With ha_source (before or after), the name waits for the restart
        // too: the reader acts for the node of the name it started with.
        if (members_from.source == config::members_source::pg_auto_failover ||
            r.cfg.members_from.source == config::members_source::pg_auto_failover)
          s.settings.cfg.name = name;
        auto was = s.view;
        s.view = r.cfg.cluster;
        s.view_overrides.apply_to(s.view); // what PUT /cluster set wins over the file
        if (r.cfg.members_from != members_from && !s.view_overrides.members) {
          // The members still come from where they came from until the
          // restart: the file of the other source has none, or none to use.
          s.view.members = was.members;
          log_ha()->warn("members_from or ha_source changed: the members in force stay until slotd restarts");
        }
        s.inactivity_floor = wall_clock::now(); // a new retention policy counts no inactivity from before
        if (auto what = model::describe_view_change(was, s.view); !what.empty())
          audit(s, model::audit_action::view_change, "ha_loop", "", std::nullopt, std::nullopt,
                model::audit_rule::cluster_view, "configuration reloaded: " + what);
        self->send(s.copier, cancel_atom_v); // a copy planned with the old view, if not stopped yet
        log_ha()->info("configuration reloaded");
        s.copy_retry = {}; // a new view: copy at once
        set_leader(self, s.leader);
        run_now(self);
      },
      [=](follow_order& o) -> demote_reply {
        auto& s = self->state;
        demote_reply r;
        if (!s.view.members.contains(o.leader)) {
          // Before the first read of the members: not now (asked again).
          // After it, an unknown name is a bad request, as with members
          // in the file (one that stays unknown must not hold a follow up).
          const auto source = s.settings.cfg.members_from.source;
          const std::string origin(config::members_origin(source));
          r.refused = s.members_awaited ? refusal::busy : refusal::bad_request;
          r.error = "unknown member '" + o.leader + "': the leader must be a member of the cluster view" +
                    (s.members_awaited ? " (the members are not read from " + origin + " yet: ask again)"
                     : source != config::members_source::config
                         ? " (not among the members read from " + origin +
                               ", which are read every loop_wait; nodes left out are in the log)"
                         : std::string());
          return r;
        }
        if (o.leader == s.my_name()) {
          r.refused = refusal::bad_request;
          r.error = "'" + o.leader + "' is this agent: demote names the new leader";
          return r;
        }
        log_ha()->info("demote: following leader {}", o.leader);
        if (s.told != model::told_role::replica || s.leader != o.leader) {
          audit_flush_all(s);
          audit(s, model::audit_action::demote, "ha_loop", "", std::nullopt, std::nullopt, model::audit_rule::demote,
                "following " + o.leader +
                    (holds_lead(s) || s.told == model::told_role::primary ? " (was primary)"
                     : s.leader                                          ? " (was following " + *s.leader + ")"
                                                                         : ""));
        }
        ++s.promote_generation; // a promote still under way is superseded
        s.inactivity_floor = wall_clock::now();
        s.promote_in_progress = false;
        self->send(s.copier, cancel_atom_v); // a copy from the old leader, if it has not stopped the server
        s.copy_retry = {};                    // a new leader: copy at once
        s.told = model::told_role::replica;
        s.role_source = ha_state::role_teller::message;
        s.leader_snap.reset();
        s.leader_error.clear();
        ++s.demotes; // docs/slot-rules.md §1.6: every copy is proven again
        set_leader(self, o.leader);
        clean_workers(self);
        run_now(self);
        r.role = "replica";
        r.leader = o.leader;
        return r;
      },
      [=](promote_request& req) -> caf::result<promote_reply> {
        auto rp = self->make_response_promise<promote_reply>();
        on_promote(self, req, rp);
        return rp;
      },
      [=](members_source_report& r) { self->state.members_source = std::move(r); },
      [=](cluster_update_request& req) -> cluster_update_reply {
        auto& s = self->state;
        cluster_update_reply r;
        const auto source = s.settings.cfg.members_from.source;
        if (source != config::members_source::config && req.update.members &&
            req.source == cluster_update_request{}.source) { // the API
          r.refused = refusal::bad_request;
          r.error = "members come from " + std::string(config::members_origin(source)) + " (" +
                    std::string(config::members_source_key(source)) + "): an update may set the other keys only";
          return r;
        }
        auto applied = config::apply_cluster_update(s.view, req.update, s.my_name(), req.source);
        if (!applied.value) {
          r.refused = refusal::bad_request;
          std::string msg;
          for (auto& d : applied.diagnostics)
            msg += (msg.empty() ? "" : "; ") + d.message;
          r.error = msg.empty() ? "invalid cluster view" : msg;
          return r;
        }
        if (auto what = model::describe_view_change(s.view, *applied.value); !what.empty())
          audit(s, model::audit_action::view_change, "ha_loop", "", std::nullopt, std::nullopt,
                model::audit_rule::cluster_view, req.source + ": " + what);
        s.view = *applied.value;
        s.view_overrides.merge(req.update);
        if (s.members_awaited && req.update.members) {
          s.members_awaited = false;
          log_ha()->info("{}: the members are in force, planning starts",
                         config::members_source_label(s.settings.cfg.members_from.source));
        }
        s.inactivity_floor = wall_clock::now(); // a new retention policy counts no inactivity from before
        self->send(s.copier, cancel_atom_v); // a copy planned with the old view, if not stopped yet
        s.copy_retry = {};
        log_ha()->info("cluster view updated by {}: {} members, {} permanent slots", req.source, s.view.members.size(),
                       s.view.slots.size());
        set_leader(self, s.leader); // the leader's address may have changed
        run_now(self);
        r.view = s.view;
        return r;
      },
      [=](pause_request& p) -> status_view {
        auto& s = self->state;
        if (s.paused != p.paused)
          log_ha()->info(p.paused ? "paused: nothing is dropped or copied" : "resumed");
        s.paused = p.paused;
        if (p.paused)
          self->send(s.copier, cancel_atom_v); // a copy that has not stopped the server yet
        if (!p.paused) {
          s.inactivity_floor = wall_clock::now(); // no retention drop for inactivity seen while paused
          ++s.resumes; // docs/slot-rules.md §1.6: re-check after a pause
          run_now(self);
        }
        return status_of(s);
      },
      [=](status_atom) -> status_view { return status_of(self->state); },
      [=](ready_atom) -> readiness_view { return readiness_of(self->state); },
      [=](final_atom) -> caf::result<final_positions_reply> {
        auto rp = self->make_response_promise<final_positions_reply>();
        ha::on_final_positions(self, rp);
        return rp;
      },
      [=](candidate_atom) -> candidate_view { return candidate_of(self->state); },
      [=](health_atom) -> health_view { return health_of(self->state); },
      [=](metrics_atom) -> metrics_view { return metrics_of(self->state); },
      [=](actors_atom) -> ha_helpers {
        auto& s = self->state;
        ha_helpers h{s.local, s.leader_conn, s.copier, {}, s.members_reader};
        for (auto& [db, w] : s.workers)
          h.workers.push_back(w);
        return h;
      },
      [=](events_request& r) -> events_reply { return events_since(self->state, r.since); },
      [=](dump_atom) -> dump_reply { return {"ha_loop", dump_json(self->state)}; },
  };
}

} // namespace

ha_loop_actor spawn_ha_loop(caf::actor_system& sys, io_runtime& io, ha_settings settings,
                            local_connection_actor local, leader_connection_actor leader) {
  return caf::actor_cast<ha_loop_actor>(sys.spawn(ha_loop, &io, std::move(settings), local, leader));
}

} // namespace slotd::actors
