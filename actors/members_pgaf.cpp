// members_pgaf: the promote and follow of `ha_source: pg_auto_failover`
// (pg/model/pgaf_source.hpp), sent by the members reader to the HA loop
// after each read of the monitor; the next read waits for the answer.
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <fmt/format.h>

#include "actors/members_reader_state.hpp"
#include "actors/views.hpp"
#include "pg/model/promote_deadline.hpp"

namespace slotd::actors::members {

namespace {

using namespace std::chrono_literals;

constexpr auto follow_timeout = 15s;
constexpr auto status_timeout = 5s;

void stepped(self_ptr self, model::pgaf_action a, refusal refused, const std::string& error) {
  auto& st = self->state;
  st.acting = false;
  if (refused == refusal::none) {
    st.told = {a.step == model::pgaf_step::confirm_primary ? model::pgaf_step::promote : a.step, a.leader};
    st.step_error.clear();
    st.last_step = std::string(to_string(a.step)) + (a.leader.empty() ? "" : " " + a.leader) + ": done";
    next_read(self, st.settings.interval);
    return;
  }
  auto why = std::string(to_string(a.step)) + (a.leader.empty() ? "" : " " + a.leader) + " (" + a.why +
             ") was refused: " + error;
  if (why != st.step_error)
    log_ha()->warn("ha_source pg_auto_failover: {}; asked again at the next read", why);
  st.step_error = why;
  st.last_step = why;
  // A follow refused for good (its leader is not a member in force): what
  // the HA loop was told last is not known here any more, so that a later
  // promotion of this node is not taken for one already made.
  if (a.step == model::pgaf_step::follow && refused == refusal::bad_request)
    st.told = {};
  // Busy (a slot copy holds the server, another promote or demote): soon.
  next_read(self, refused == refusal::bad_request ? st.settings.interval : st.settings.retry_after);
}

void send_promote(self_ptr self, model::pgaf_action a) {
  auto& st = self->state;
  st.acting = true;
  ++st.promotes;
  log_ha()->warn("ha_source pg_auto_failover: {}: promote (the final advance)", a.why);
  promote_request req;
  auto now = self->clock().now();
  auto deadline = req.fix_deadline(now);
  self->request(st.ha, model::wait_for(model::promote_part::promote_handler, deadline, now), std::move(req))
      .then(
          [self, a](promote_reply& r) {
            if (r.refused == refusal::none)
              log_ha()->warn("ha_source pg_auto_failover: promote: {} slots ready, {} unsafe{}{}", r.ready.size(),
                             r.unsafe.size(), r.unsafe.empty() ? "" : ": ", fmt::join(r.unsafe, ", "));
            // Told primary, the final advance failed (the local server did
            // not answer): done; it is not made again by asking again.
            if (r.refused == refusal::unavailable && r.role == "primary") {
              log_ha()->error("ha_source pg_auto_failover: promote: {}", r.error);
              stepped(self, a, refusal::none, "");
              return;
            }
            stepped(self, a, r.refused, r.error);
          },
          [self, a](caf::error& e) { stepped(self, a, refusal::unavailable, caf::to_string(e)); });
}

} // namespace

void act(self_ptr self) {
  auto& st = self->state;
  if (!pgaf(st) || st.acting || st.updating)
    return;
  auto a = model::decide_pgaf_step(st.nodes, st.my_node_id, st.told);
  if (a.step == model::pgaf_step::none) {
    next_read(self, st.settings.interval);
    return;
  }
  st.acting = true;
  if (a.step == model::pgaf_step::confirm_primary) {
    // The HA loop is told primary already (role auto saw a primary server,
    // or an earlier promote): its leader is itself, nothing to send. Told
    // nothing yet under role auto (its first cycle, the local server down):
    // asked again at the next read. Else (told replica on a promoted
    // server, role wait): promote. (The role it shows is that of its last
    // planned cycle; the leader follows what it was told at once.)
    self->request(st.ha, status_timeout, status_atom_v)
        .then(
            [self, a](status_view& v) {
              auto& s = self->state;
              if (v.leader && *v.leader == s.settings.my_name) {
                stepped(self, a, refusal::none, "");
                return;
              }
              s.acting = false;
              if (!v.leader && v.role == "unknown") {
                next_read(self, s.settings.interval);
                return;
              }
              auto p = a;
              p.step = model::pgaf_step::promote;
              p.why = a.why + "; the agent follows " + v.leader.value_or("no leader") + " (" + v.role + ")";
              send_promote(self, std::move(p));
            },
            [self, a](caf::error& e) { stepped(self, a, refusal::unavailable, caf::to_string(e)); });
    return;
  }
  if (a.step == model::pgaf_step::promote) {
    send_promote(self, std::move(a));
    return;
  }
  ++st.follows;
  log_ha()->info("ha_source pg_auto_failover: {}: follow {}", a.why, a.leader);
  self->request(st.ha, follow_timeout, follow_order{a.leader})
      .then([self, a](demote_reply& r) { stepped(self, a, r.refused, r.error); },
            [self, a](caf::error& e) { stepped(self, a, refusal::unavailable, caf::to_string(e)); });
}

} // namespace slotd::actors::members
