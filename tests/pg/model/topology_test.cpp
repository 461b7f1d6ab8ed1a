#include "pg/model/topology.hpp"

#include <gtest/gtest.h>

#include "model_fixtures.hpp"
#include "pg/model/role.hpp"

namespace slotd::model {
namespace {
using namespace testing;

TEST(SlotNameFromMemberName, NormalisesLikePatroni) {
  EXPECT_EQ(slot_name_from_member_name("Node-1.dc"), "node_1_dc");
  EXPECT_EQ(slot_name_from_member_name("a@b"), "au0064b");
  EXPECT_EQ(slot_name_from_member_name("caf\xc3\xa9"), "cafu0233");
  EXPECT_EQ(slot_name_from_member_name(std::string(70, 'x')), std::string(63, 'x'));
}

TEST(SlotNameFromMemberName, DifferentMembersCanCollide) {
  EXPECT_EQ(slot_name_from_member_name("a-b"), "a_b");
  EXPECT_EQ(slot_name_from_member_name("a.b"), "a_b");
  EXPECT_EQ(slot_name_from_member_name("A_B"), "a_b");
}

TEST(IsValidSlotName, AcceptsOnlyLowerAlnumUnderscore) {
  EXPECT_TRUE(is_valid_slot_name("ls_2"));
  EXPECT_TRUE(is_valid_slot_name(std::string(63, 'a')));
  EXPECT_FALSE(is_valid_slot_name(std::string(64, 'a')));
  EXPECT_FALSE(is_valid_slot_name("A"));
  EXPECT_FALSE(is_valid_slot_name(""));
  EXPECT_FALSE(is_valid_slot_name("a-b"));
}

TEST(NodeRole, ToldRoleCheckedAgainstRecovery) {
  EXPECT_EQ(node_role_of(told_role::primary, false), node_role::primary);
  EXPECT_EQ(node_role_of(told_role::primary, true), node_role::promoting);
  EXPECT_EQ(node_role_of(told_role::replica, true), node_role::replica);
  EXPECT_EQ(node_role_of(told_role::replica, false), node_role::role_mismatch);
  EXPECT_EQ(to_string(node_role::promoting), "promoting");
}

TEST(GetSlotNameOnPrimary, DirectReplicaUsesItsOwnSlot) {
  auto v = view_of({node("leader"), node("Node-2")});
  EXPECT_EQ(get_slot_name_on_primary(v, "Node-2", std::string("leader")), "node_2");
}

TEST(GetSlotNameOnPrimary, CascadeUsesTheTopmostReplicaOfTheChain) {
  auto v = view_of({node("leader"), node("n2"), node("n3", from("n2")), node("n4", from("n3"))});
  EXPECT_EQ(get_slot_name_on_primary(v, "n4", std::string("leader")), "n2");
  EXPECT_EQ(get_slot_name_on_primary(v, "n3", std::string("leader")), "n2");
}

TEST(GetSlotNameOnPrimary, StopsAtTheLeader_Quirk7) {
  // Patroni walks on to the leader and returns "leader", a slot that does
  // not exist on the primary.
  auto v = view_of({node("leader"), node("n2", from("leader")), node("n3", from("n2"))});
  EXPECT_EQ(get_slot_name_on_primary(v, "n2", std::string("leader")), "n2");
  EXPECT_EQ(get_slot_name_on_primary(v, "n3", std::string("leader")), "n2");
  // Without a known leader the walk goes all the way up.
  EXPECT_EQ(get_slot_name_on_primary(v, "n3", std::nullopt), "leader");
}

TEST(GetSlotNameOnPrimary, NostreamNodeAndItsCascadeHaveNone) {
  auto v = view_of({node("leader"), node("ns", nostream()), node("c1", from("ns")), node("c2", from("c1"))});
  EXPECT_EQ(get_slot_name_on_primary(v, "ns", std::string("leader")), std::nullopt);
  EXPECT_EQ(get_slot_name_on_primary(v, "c1", std::string("leader")), std::nullopt);
  EXPECT_EQ(get_slot_name_on_primary(v, "c2", std::string("leader")), std::nullopt);
}

TEST(GetSlotNameOnPrimary, ReplicatefromCycleTerminatesWithNone) {
  // docs/slot-rules.md §6.11: node1 ↔ node2.
  auto v = view_of({node("leader"), node("node1", from("node2")), node("node2", from("node1"))});
  EXPECT_EQ(get_slot_name_on_primary(v, "node1", std::string("leader")), std::nullopt);
  auto three = view_of({node("a", from("b")), node("b", from("c")), node("c", from("a"))});
  EXPECT_EQ(get_slot_name_on_primary(three, "a", std::nullopt), std::nullopt);
}

TEST(GetSlotNameOnPrimary, SelfOrUnknownUpstreamMeansOwnSlot) {
  auto v = view_of({node("leader"), node("n2", from("n2")), node("n3", from("ghost"))});
  EXPECT_EQ(get_slot_name_on_primary(v, "n2", std::string("leader")), "n2");
  EXPECT_EQ(get_slot_name_on_primary(v, "n3", std::string("leader")), "n3");
  // A node missing from the view has default tags.
  EXPECT_EQ(get_slot_name_on_primary(v, "Lost-One", std::string("leader")), "lost_one");
}

} // namespace
} // namespace slotd::model
