// promote_handler: the promote/demote protocol of docs/api.md, one action
// at a time (409 while another runs). The work itself is the HA loop's: it
// owns the slots, the advance workers and the role.
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/json_text.hpp"
#include "actors/ha_state.hpp"
#include "actors/spawn.hpp"

namespace slotd::actors {

namespace {

using namespace std::chrono_literals;

struct promote_state {
  promote_state() = default;
  ha_loop_actor ha;
  std::optional<std::string> running; // "promote" or "demote"
  std::uint64_t promotes = 0;
  std::uint64_t demotes = 0;
  std::string last_result;
  wall_clock::time_point last_at{};
};

using self_ptr = promote_handler_actor::stateful_pointer<promote_state>;

promote_handler_actor::behavior_type promote_handler(self_ptr self, ha_loop_actor ha) {
  self->state.ha = ha;
  return {
      [=](promote_request& req) -> caf::result<promote_reply> {
        auto& st = self->state;
        if (st.running) {
          promote_reply busy;
          busy.refused = refusal::busy;
          busy.error = "a " + *st.running + " is already running";
          return busy;
        }
        st.running = "promote";
        ++st.promotes;
        auto rp = self->make_response_promise<promote_reply>();
        auto deadline = req.fix_deadline(self->clock().now());
        self->request(st.ha, model::wait_for(model::promote_part::promote_handler, deadline, self->clock().now()), req)
            .then(
                [=](promote_reply& r) mutable {
                  auto& s = self->state;
                  s.running.reset();
                  s.last_at = wall_clock::now();
                  s.last_result = fmt::format("promote: {} ready, {} unsafe", r.ready.size(), r.unsafe.size());
                  rp.deliver(std::move(r));
                },
                [=](caf::error& e) mutable {
                  auto& s = self->state;
                  s.running.reset();
                  s.last_at = wall_clock::now();
                  s.last_result = "promote failed: " + caf::to_string(e);
                  promote_reply r;
                  r.refused = refusal::unavailable;
                  r.error = "the HA loop did not answer in time: " + caf::to_string(e);
                  rp.deliver(std::move(r));
                });
        return rp;
      },
      [=](demote_request& req) -> caf::result<demote_reply> {
        auto& st = self->state;
        if (st.running) {
          demote_reply busy;
          busy.refused = refusal::busy;
          busy.error = "a " + *st.running + " is already running";
          return busy;
        }
        st.running = "demote";
        ++st.demotes;
        auto rp = self->make_response_promise<demote_reply>();
        follow_order order{req.leader};
        self->request(st.ha, 15s, order)
            .then(
                [=](demote_reply& r) mutable {
                  auto& s = self->state;
                  s.running.reset();
                  s.last_at = wall_clock::now();
                  s.last_result = r.refused == refusal::none ? "demote: following " + r.leader : "demote refused: " + r.error;
                  rp.deliver(std::move(r));
                },
                [=](caf::error& e) mutable {
                  auto& s = self->state;
                  s.running.reset();
                  demote_reply r;
                  r.refused = refusal::unavailable;
                  r.error = "the HA loop did not answer in time: " + caf::to_string(e);
                  rp.deliver(std::move(r));
                });
        return rp;
      },
      [=](dump_atom) -> dump_reply {
        auto& st = self->state;
        nlohmann::json j = {{"running", st.running ? nlohmann::json(*st.running) : nlohmann::json(nullptr)},
                            {"promotes", st.promotes},
                            {"demotes", st.demotes},
                            {"last_result", st.last_result},
                            {"last_at", iso_time(st.last_at)}};
        return {"promote_handler", std::move(j)};
      },
  };
}

} // namespace

promote_handler_actor spawn_promote_handler(caf::actor_system& sys, ha_loop_actor ha) {
  return sys.spawn(promote_handler, std::move(ha));
}

} // namespace slotd::actors
