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
#include "fake_ha_loop.hpp"
#include "virtual_time.hpp"
#include "actors/spawn.hpp"

using namespace slotd::actors;
using namespace std::chrono_literals;

namespace {

using slotd::testing_support::fake_ha;
using slotd::testing_support::fake_ha_options;
using slotd::testing_support::fake_ha_state;

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
