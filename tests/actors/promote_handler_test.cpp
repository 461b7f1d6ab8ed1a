// promote_handler in virtual time, against a fake HA loop: one action at a
// time (409), replies passed through, a silent HA loop becomes a 503 after
// the request timeout instead of a hung request.
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>

#include <optional>

#include "actors/interfaces.hpp"
#include "virtual_time.hpp"
#include "actors/spawn.hpp"

using namespace slotd::actors;
using namespace std::chrono_literals;

// The promote the fake holds back until its timer fires (one fake per test).
caf::typed_response_promise<promote_reply>& pending() {
  static caf::typed_response_promise<promote_reply> p;
  return p;
}

namespace {

// A fake HA loop: answers promote after `delay` (or never), demote at once.
struct fake_ha_state {
  fake_ha_state() = default;
  int promotes = 0;
  std::optional<follow_order> last_order;
};

struct fake_ha_options {
  std::chrono::milliseconds promote_delay{1000};
  bool silent = false;
};

ha_loop_actor::behavior_type fake_ha(ha_loop_actor::stateful_pointer<fake_ha_state> self, fake_ha_options o,
                                     fake_ha_state* observed) {
  return {
      [=](advance_report&) {},
      [=](config_reload&) {},
      [=](follow_order& r) -> demote_reply {
        observed->last_order = r;
        return {refusal::none, "", "replica", r.leader};
      },
      [=](promote_request&) -> caf::result<promote_reply> {
        ++observed->promotes;
        auto rp = self->make_response_promise<promote_reply>();
        // The fake's timer: a dump_atom to itself delivers the reply.
        if (!o.silent)
          caf::delayed_anon_send(caf::actor_cast<ha_loop_actor>(self), o.promote_delay, dump_atom_v);
        self->state.promotes++;
        pending() = rp;
        return rp;
      },
      [=](cluster_update_request&) -> cluster_update_reply { return {}; },
      [=](copy_report&) {},
      [=](copy_created&) {},
      [=](stop_atom) -> bool { return true; },
      [=](pause_request&) -> status_view { return {}; },
      [=](status_atom) -> status_view { return {}; },
      [=](ready_atom) -> readiness_view { return {}; },
      [=](candidate_atom) -> candidate_view { return {}; },
      [=](final_atom) -> final_positions_reply { return {}; },
      [=](health_atom) -> health_view { return {}; },
      [=](metrics_atom) -> metrics_view { return {}; },
      [=](actors_atom) -> ha_helpers { return {}; },
      [=](events_request&) -> events_reply { return {}; },
      [=](dump_atom) -> dump_reply {
        if (auto& rp = pending(); rp.pending()) {
          promote_reply r;
          r.role = "primary";
          r.ready = {"cdc"};
          rp.deliver(std::move(r));
        }
        return {"fake", nlohmann::json::object()};
      },
  };
}

struct promote_handler : slotd::testing_support::virtual_time_test {
};

} // namespace

TEST_F(promote_handler, a_second_promote_while_one_runs_gets_409_and_the_first_completes) {
  fake_ha_state observed;
  auto ha = sys.spawn(fake_ha, fake_ha_options{}, &observed);
  auto ph = spawn_promote_handler(sys, ha);
  std::optional<promote_reply> first, second;
  std::optional<demote_reply> demote;
  ask<promote_reply>(ph, promote_request{30s}, first);
  sched.run();
  ask<promote_reply>(ph, promote_request{30s}, second);
  ask<demote_reply>(ph, demote_request{"node1"}, demote);
  sched.run();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->refused, refusal::busy);
  ASSERT_TRUE(demote.has_value());
  EXPECT_EQ(demote->refused, refusal::busy);
  EXPECT_FALSE(first.has_value()) << "the first promote is still running";
  EXPECT_EQ(observed.promotes, 1) << "the refused promote never reached the HA loop";

  sched.advance_time(1s);
  sched.run();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->refused, refusal::none);
  EXPECT_EQ(first->role, "primary");
  EXPECT_EQ(first->ready, std::vector<std::string>{"cdc"});

  // Once done, the next action is accepted.
  std::optional<demote_reply> after;
  ask<demote_reply>(ph, demote_request{"node3"}, after);
  sched.run();
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->refused, refusal::none);
  ASSERT_TRUE(observed.last_order.has_value());
  EXPECT_EQ(observed.last_order->leader, "node3");
  caf::anon_send_exit(ha, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(ph, caf::exit_reason::user_shutdown);
  sched.run();
}

TEST_F(promote_handler, a_silent_ha_loop_turns_into_503_after_the_timeout) {
  fake_ha_state observed;
  auto ha = sys.spawn(fake_ha, fake_ha_options{1s, true}, &observed);
  auto ph = spawn_promote_handler(sys, ha);
  std::optional<promote_reply> reply;
  ask<promote_reply>(ph, promote_request{2s}, reply);
  sched.run();
  EXPECT_FALSE(reply.has_value());
  // The handler waits until the promote's deadline plus its slack (4 s),
  // then answers.
  sched.advance_time(2s + 3s);
  sched.run();
  EXPECT_FALSE(reply.has_value()) << "answered before the deadline and slack";
  sched.advance_time(1s);
  sched.run();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->refused, refusal::unavailable);
  EXPECT_NE(reply->error.find("did not answer"), std::string::npos) << reply->error;
  // And it is free again.
  std::optional<demote_reply> next;
  ask<demote_reply>(ph, demote_request{"node2"}, next);
  sched.run();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->refused, refusal::none);
  caf::anon_send_exit(ha, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(ph, caf::exit_reason::user_shutdown);
  sched.run();
}
