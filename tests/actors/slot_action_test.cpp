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

TEST(slot_action, a_failure_carries_the_server_message_and_sqlstate) {
  pg::error e;
  e.sqlstate = "55006";
  e.message = "replication slot \"x\" is active";
  auto o = action_outcome::failed("x", slot_action::drop, e, "dropping: ");
  EXPECT_FALSE(o.ok);
  EXPECT_FALSE(o.kept_active);
  EXPECT_EQ(o.sqlstate, "55006");
  EXPECT_NE(o.detail.find("dropping: "), std::string::npos);
  EXPECT_NE(o.detail.find("is active"), std::string::npos);
}

} // namespace
} // namespace slotd::actors
