// Role auto: what the local server says, until a message says otherwise.
#include "pg/model/auto_role.hpp"

#include <gtest/gtest.h>

namespace slotd::model {
namespace {

std::map<std::string, member> members() {
  member a, b;
  a.name = "a", a.host = "10.0.0.1", a.port = 5432;
  b.name = "b", b.host = "10.0.0.2", b.port = 5433;
  return {{"a", a}, {"b", b}};
}

TEST(MemberStreamedFrom, MatchesHostAndPort) {
  EXPECT_EQ(member_streamed_from(members(), std::string("10.0.0.2"), 5433), "b");
  EXPECT_EQ(member_streamed_from(members(), std::string("10.0.0.2"), 5432), std::nullopt) << "same host, other port";
  EXPECT_EQ(member_streamed_from(members(), std::nullopt, 5432), std::nullopt) << "no WAL receiver";
  EXPECT_EQ(member_streamed_from(members(), std::string("10.0.0.1"), std::nullopt), std::nullopt);
}

TEST(InferAutoRole, FirstSnapshotDecides) {
  auto_role_input in;
  in.in_recovery = false;
  EXPECT_EQ(infer_auto_role(in), (auto_role_decision{auto_role_action::act_as_primary, std::nullopt}));
  in.in_recovery = true;
  in.streams_from = "a";
  EXPECT_EQ(infer_auto_role(in), (auto_role_decision{auto_role_action::act_as_replica, "a"}));
  in.streams_from.reset(); // the WAL receiver is not connected yet
  EXPECT_EQ(infer_auto_role(in), (auto_role_decision{auto_role_action::act_as_replica, std::nullopt}));
}

TEST(InferAutoRole, NothingWithRoleWaitOrAfterAMessage) {
  auto_role_input in;
  in.role_auto = false;
  EXPECT_EQ(infer_auto_role(in).action, auto_role_action::keep);
  in.role_auto = true;
  in.told = told_role::replica; // by a message
  in.leader = "a";
  in.streams_from = "b";
  EXPECT_EQ(infer_auto_role(in).action, auto_role_action::keep) << "a message is never overridden";
  in.told = told_role::primary;
  in.in_recovery = false;
  EXPECT_EQ(infer_auto_role(in).action, auto_role_action::keep);
}

TEST(InferAutoRole, AnInferredReplicaFollowsItsWalReceiver) {
  auto_role_input in;
  in.told = told_role::replica;
  in.told_by_auto = true;
  in.leader = std::nullopt;
  in.streams_from = "a"; // connected now
  EXPECT_EQ(infer_auto_role(in), (auto_role_decision{auto_role_action::follow, "a"}));
  in.leader = "a";
  EXPECT_EQ(infer_auto_role(in).action, auto_role_action::keep);
  in.streams_from = "b"; // re-pointed by the HA manager
  EXPECT_EQ(infer_auto_role(in), (auto_role_decision{auto_role_action::follow, "b"}));
  in.streams_from.reset(); // receiver gone for a while: keep the leader
  EXPECT_EQ(infer_auto_role(in).action, auto_role_action::keep);
  // Promoted under it (out of recovery) while told replica by the rule: no
  // silent switch to primary; the role mismatch is reported elsewhere.
  in.in_recovery = false;
  EXPECT_EQ(infer_auto_role(in).action, auto_role_action::keep);
}

} // namespace
} // namespace slotd::model
