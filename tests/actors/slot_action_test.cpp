// The typed slot actions between actors: each has its log name (its error
// kind: tests/pg/model/error_kind_test.cpp), and a failure its cause.
#include <gtest/gtest.h>

#include "actors/messages.hpp"

namespace slotd::actors {
namespace {

TEST(slot_action, names) {
  EXPECT_EQ(to_string(slot_action::drop), "drop");
  EXPECT_EQ(to_string(slot_action::create_physical), "create physical");
  EXPECT_EQ(to_string(slot_action::set_standby_slots), "set synchronized_standby_slots");
}

TEST(slot_action, a_failure_carries_the_server_error_with_its_sqlstate) {
  pg::error e;
  e.call = "result";
  e.sqlstate = "55006";
  e.message = "replication slot \"x\" is active";
  auto o = action_outcome::failed("x", slot_action::drop, e, "dropping");
  EXPECT_FALSE(o.ok());
  EXPECT_EQ(o.result, outcome::failed);
  ASSERT_TRUE(o.failure);
  ASSERT_NE(o.failure->server_error(), nullptr);
  EXPECT_EQ(o.failure->server_error()->message, e.message);
  EXPECT_EQ(o.failure->sqlstate(), "55006");
  EXPECT_EQ(o.why().rfind("dropping: ", 0), 0u) << o.why();
  EXPECT_NE(o.why().find("[55006]"), std::string::npos) << o.why();
  EXPECT_NE(o.why().find("is active"), std::string::npos) << o.why();
}

TEST(slot_action, a_failure_of_our_own_has_no_sqlstate) {
  auto o = action_outcome::failed("x", slot_action::create_logical, own_reason::copy_in_use);
  EXPECT_FALSE(o.ok());
  ASSERT_TRUE(o.failure);
  EXPECT_EQ(o.failure->server_error(), nullptr);
  EXPECT_EQ(o.failure->sqlstate(), "");
  EXPECT_EQ(o.why(), to_string(own_reason::copy_in_use));
  slot_failure cut{own_reason::no_answer, "request timed out"};
  EXPECT_EQ(cut.what(), "no answer (request timed out)");
}

TEST(slot_action, an_absent_slot_is_dropped_and_an_active_one_is_not) {
  action_outcome absent{"x", slot_action::drop, outcome::absent};
  action_outcome active{"x", slot_action::drop, outcome::kept_active};
  EXPECT_TRUE(absent.ok());
  EXPECT_FALSE(active.ok());
  EXPECT_FALSE(active.failure);
  EXPECT_EQ(active.why(), "");
  EXPECT_TRUE((action_outcome{"x", slot_action::drop}.ok()));
}

} // namespace
} // namespace slotd::actors
