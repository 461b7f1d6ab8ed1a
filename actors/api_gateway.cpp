// The api gateway: one request in, typed requests out, one answer back.
// Every request it makes has a finite timeout, so every command is answered
// (CAF 0.17 drops a promise silently when the asked actor dies).
#include "actors/json_text.hpp"
#include "actors/api_gateway.hpp"

#include <memory>
#include <type_traits>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include "actors/ha_state.hpp"

namespace slotd::actors {

namespace {

using json = nlohmann::json;
using deliver_fn = std::function<void(api_answer)>;

struct gateway_state {
  gateway_state() = default;
  ha_loop_actor ha;
  promote_handler_actor promote;
  api_timeouts timeouts;
  std::map<std::string, std::uint64_t> requests; // by command
  std::uint64_t unanswered = 0;                   // timeouts and dead actors
  std::uint64_t in_flight = 0;
  std::string last_error;
  wall_clock::time_point last_error_at{};
};

using self_ptr = api_gateway_actor::stateful_pointer<gateway_state>;

const char* read_name(api_read r) {
  switch (r) {
  case api_read::state: return "state";
  case api_read::status: return "status";
  case api_read::readiness: return "readiness";
  case api_read::candidate: return "candidate";
  case api_read::final_positions: return "final_positions";
  case api_read::health: return "health";
  case api_read::metrics: return "metrics";
  }
  return "read";
}

const char* command_name(const api_command& cmd) {
  return std::visit(
      [](const auto& w) -> const char* {
        using T = std::decay_t<decltype(w)>;
        if constexpr (std::is_same_v<T, api_read>)
          return read_name(w);
        else if constexpr (std::is_same_v<T, promote_request>)
          return "promote";
        else if constexpr (std::is_same_v<T, demote_request>)
          return "demote";
        else if constexpr (std::is_same_v<T, cluster_update_request>)
          return "cluster";
        else if constexpr (std::is_same_v<T, events_request>)
          return "events";
        else
          return w.paused ? "pause" : "resume";
      },
      cmd.what);
}

json gateway_dump(const gateway_state& s) {
  return {{"requests", s.requests},
          {"in_flight", s.in_flight},
          {"unanswered", s.unanswered},
          {"last_error", s.last_error},
          {"last_error_at", iso_time(s.last_error_at)}};
}

// The answer when an actor did not reply in time (or is gone).
api_failure unanswered(self_ptr self, const std::string& who, const caf::error& e) {
  auto& st = self->state;
  ++st.unanswered;
  st.last_error = who + " did not answer: " + caf::to_string(e);
  st.last_error_at = wall_clock::now();
  return {refusal::unavailable, st.last_error};
}

// Ask `dest` for `req`; its reply (a `Reply`) is the answer.
template <class Reply, class Dest, class Req>
void ask(self_ptr self, const Dest& dest, std::chrono::milliseconds timeout, Req req, const std::string& who,
         deliver_fn deliver) {
  self->request(dest, timeout, std::move(req))
      .then([deliver](Reply& r) { deliver(api_answer{std::move(r)}); },
            [self, deliver, who](caf::error& e) { deliver(unanswered(self, who, e)); });
}

// GET /state: every actor's dump (the HA loop names its helpers; the
// promote handler and this gateway are added), one entry per actor.
void collect_state(self_ptr self, deliver_fn deliver) {
  struct gather {
    json out = json::object();
    std::size_t waiting = 0;
    deliver_fn deliver;
    void one_done() {
      if (--waiting == 0)
        deliver(state_reply{std::move(out)});
    }
  };
  auto g = std::make_shared<gather>();
  g->deliver = std::move(deliver);
  auto dump_all = [self, g](std::vector<dump_actor> actors) {
    actors.push_back(caf::actor_cast<dump_actor>(self->state.promote));
    std::erase_if(actors, [](const dump_actor& a) { return !a; }); // a helper not (yet) spawned
    if (actors.empty())
      return g->deliver(state_reply{std::move(g->out)});
    g->waiting = actors.size();
    for (auto& a : actors) {
      auto id = a.id();
      self->request(a, self->state.timeouts.read, dump_atom_v)
          .then(
              [g, id](dump_reply& r) {
                auto key = g->out.contains(r.name) ? r.name + " #" + std::to_string(id) : r.name;
                g->out[key] = std::move(r.state);
                g->one_done();
              },
              [self, g, id](caf::error& e) {
                g->out["actor #" + std::to_string(id)] = {{"error", "no dump: " + caf::to_string(e)}};
                unanswered(self, "an actor's dump", e);
                g->one_done();
              });
    }
  };
  // This gateway's own entry, taken now (its counters include this request).
  auto& st = self->state;
  g->out["api_gateway"] = gateway_dump(st);
  self->request(st.ha, st.timeouts.read, actors_atom_v)
      .then(
          [self, dump_all](ha_helpers& h) {
            auto actors = h.dumpable();
            actors.push_back(caf::actor_cast<dump_actor>(self->state.ha));
            dump_all(std::move(actors));
          },
            [self, g, dump_all](caf::error& e) {
              g->out["ha_loop"] = {{"error", "no list of actors: " + caf::to_string(e)}};
              unanswered(self, "the HA loop", e);
              dump_all({});
            });
}

void run(self_ptr self, api_command cmd, deliver_fn deliver) {
  auto& st = self->state;
  ++st.requests[command_name(cmd)];
  ++st.in_flight;
  deliver_fn done = [self, deliver = std::move(deliver)](api_answer r) {
    --self->state.in_flight;
    deliver(std::move(r));
  };
  const auto& t = st.timeouts;
  std::visit(
      [&](auto& w) {
        using T = std::decay_t<decltype(w)>;
        if constexpr (std::is_same_v<T, api_read>) {
          switch (w) {
          case api_read::state:
            collect_state(self, done);
            return;
          case api_read::status:
            ask<status_view>(self, st.ha, t.read, status_atom_v, "the HA loop", done);
            return;
          case api_read::readiness:
            ask<readiness_view>(self, st.ha, t.read, ready_atom_v, "the HA loop", done);
            return;
          case api_read::candidate:
            ask<candidate_view>(self, st.ha, t.read, candidate_atom_v, "the HA loop", done);
            return;
          case api_read::final_positions:
            ask<final_positions_reply>(self, st.ha, t.read, final_atom_v, "the HA loop", done);
            return;
          case api_read::health:
            ask<health_view>(self, st.ha, t.read, health_atom_v, "the HA loop", done);
            return;
          case api_read::metrics:
            ask<metrics_view>(self, st.ha, t.read, metrics_atom_v, "the HA loop", done);
            return;
          }
        } else if constexpr (std::is_same_v<T, promote_request>) {
          auto now = self->clock().now();
          auto deadline = w.fix_deadline(now);
          ask<promote_reply>(self, st.promote, model::wait_for(model::promote_part::api_gateway, deadline, now), w,
                             "the promote handler", done);
        } else if constexpr (std::is_same_v<T, demote_request>) {
          ask<demote_reply>(self, st.promote, t.demote, w, "the promote handler", done);
        } else if constexpr (std::is_same_v<T, cluster_update_request>) {
          ask<cluster_update_reply>(self, st.ha, t.cluster, w, "the HA loop", done);
        } else if constexpr (std::is_same_v<T, events_request>) {
          ask<events_reply>(self, st.ha, t.read, w, "the HA loop", done);
        } else {
          ask<status_view>(self, st.ha, t.pause, w, "the HA loop", done);
        }
      },
      cmd.what);
}

api_gateway_actor::behavior_type api_gateway(self_ptr self, ha_loop_actor ha, promote_handler_actor promote,
                                             api_timeouts timeouts) {
  auto& st = self->state;
  st.ha = std::move(ha);
  st.promote = std::move(promote);
  st.timeouts = timeouts;
  return {
      [=](api_command& cmd) -> caf::result<api_answer> {
        auto rp = self->make_response_promise<api_answer>();
        run(self, std::move(cmd), [rp](api_answer r) mutable { rp.deliver(std::move(r)); });
        return rp;
      },
      [=](api_call& call) { run(self, std::move(call.command), std::move(call.done)); },
      [=](dump_atom) -> dump_reply { return {"api_gateway", gateway_dump(self->state)}; },
  };
}

} // namespace

std::chrono::milliseconds gateway_deadline(const api_command& cmd, const api_timeouts& t) {
  return std::visit(
      [&](const auto& w) -> std::chrono::milliseconds {
        using T = std::decay_t<decltype(w)>;
        if constexpr (std::is_same_v<T, api_read>)
          return w == api_read::state ? 2 * t.read : t.read; // the list of actors, then the dumps
        else if constexpr (std::is_same_v<T, promote_request>)
          return w.timeout + model::answer_slack(model::promote_part::api_gateway);
        else if constexpr (std::is_same_v<T, demote_request>)
          return t.demote;
        else if constexpr (std::is_same_v<T, cluster_update_request>)
          return t.cluster;
        else if constexpr (std::is_same_v<T, events_request>)
          return t.read;
        else
          return t.pause;
      },
      cmd.what);
}

api_gateway_actor spawn_api_gateway(caf::actor_system& sys, ha_loop_actor ha, promote_handler_actor promote,
                                    api_timeouts timeouts) {
  return sys.spawn(api_gateway, std::move(ha), std::move(promote), timeouts);
}

} // namespace slotd::actors
