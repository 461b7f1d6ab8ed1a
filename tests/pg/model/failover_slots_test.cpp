#include "pg/model/failover_slots.hpp"

#include <gtest/gtest.h>

#include "model_fixtures.hpp"
#include "pg/model/slot_plan.hpp"

namespace slotd::model {
namespace {
using namespace testing;

standby_sync_settings all_set() { return {true, true, "node2", "postgres"}; }

TEST(MissingSyncPrerequisites, NoneWhenEverythingIsSet) {
  EXPECT_TRUE(missing_sync_prerequisites(all_set()).empty());
}

TEST(MissingSyncPrerequisites, EachMissingOneByName) {
  auto s = all_set();
  s.sync_replication_slots = false;
  EXPECT_EQ(missing_sync_prerequisites(s), (names{"sync_replication_slots"}));
  s = all_set();
  s.hot_standby_feedback = std::nullopt; // unreadable counts as missing
  EXPECT_EQ(missing_sync_prerequisites(s), (names{"hot_standby_feedback"}));
  s = all_set();
  s.primary_slot_name.clear();
  EXPECT_EQ(missing_sync_prerequisites(s), (names{"primary_slot_name"}));
  s = all_set();
  s.primary_conninfo_dbname.clear();
  EXPECT_EQ(missing_sync_prerequisites(s), (names{"primary_conninfo.dbname"}));
  EXPECT_EQ(missing_sync_prerequisites({}), (names{"sync_replication_slots", "hot_standby_feedback",
                                                    "primary_slot_name", "primary_conninfo.dbname"}));
}

TEST(FailoverSlotReady, SyncedNotTemporaryNotInvalidated) {
  EXPECT_TRUE(is_failover_slot_ready({"s", true, false, std::nullopt}));
  EXPECT_FALSE(is_failover_slot_ready({"s", false, false, std::nullopt})); // not synced (yet)
  EXPECT_FALSE(is_failover_slot_ready({"s", true, true, std::nullopt}));   // primary's slot has not moved
  EXPECT_FALSE(is_failover_slot_ready({"s", true, false, std::string("wal_removed")}));
}

TEST(SynchronizedStandbySlots, DirectFailoverCapableReplicasOnly) {
  auto v = view_of({node("node1"), node("node2"), node("Node-3"), node("nofo", nofailover()),
                    node("ns", nostream()), node("cascade", from("node2")), node("back", from("node1"))},
                   {logical_slot("cdc", "app", "pgoutput", true)});
  // nofailover never takes over; nostream has no slot; a cascade's WAL
  // reaches it through node2's slot; a replicatefrom naming me is direct.
  EXPECT_EQ(synchronized_standby_slot_names(v, "node1"), (names{"back", "node2", "node_3"}));
  EXPECT_EQ(synchronized_standby_slots_value(synchronized_standby_slot_names(v, "node1")), "back,node2,node_3");
}

TEST(SynchronizedStandbySlots, EmptyWithoutSlotsOrReplicas) {
  auto v = view_of({node("node1")});
  EXPECT_TRUE(synchronized_standby_slot_names(v, "node1").empty());
  v = view_of({node("node1"), node("node2")});
  v.use_slots = false;
  EXPECT_TRUE(synchronized_standby_slot_names(v, "node1").empty());
}

TEST(SynchronizedStandbySlotsChange, OnlyOn17WithFailoverSlotsAndWhenDifferent) {
  auto v = view_of({node("node1"), node("node2"), node("node3")}, {logical_slot("cdc", "app", "pgoutput", true)});
  EXPECT_EQ(synchronized_standby_slots_change(v, "node1", 17, std::string("")), (names{"node2", "node3"}));
  EXPECT_EQ(synchronized_standby_slots_change(v, "node1", 17, std::string("node3, node2")), std::nullopt);
  EXPECT_EQ(synchronized_standby_slots_change(v, "node1", 17, std::string("node2")), (names{"node2", "node3"}));
  EXPECT_EQ(synchronized_standby_slots_change(v, "node1", 17, std::nullopt), std::nullopt); // not read
  EXPECT_EQ(synchronized_standby_slots_change(v, "node1", 16, std::string("")), std::nullopt);
  auto plain = view_of({node("node1"), node("node2")}, {logical_slot("cdc", "app", "pgoutput")});
  EXPECT_EQ(synchronized_standby_slots_change(plain, "node1", 17, std::string("x")), std::nullopt);
}

// Membership change: a member that leaves the view leaves the setting at
// once, even though its slot is retained (member_slots_ttl).
TEST(SynchronizedStandbySlotsChange, GoneMemberIsNeverListed) {
  auto v = view_of({node("node1"), node("node2"), node("node3")}, {logical_slot("cdc", "app", "pgoutput", true)});
  auto in = primary_input(v, "node1", cache_of({physical("node2", 100), physical("node3", 100)}));
  in.server_major = 17;
  in.synchronized_standby_slots = "node2,node3";
  auto first = plan_cycle(in);
  EXPECT_EQ(first.synchronized_standby_slots, std::nullopt);
  in.retention = first.retention; // node3 was seen: its slot is retained
  in.view.members.erase("node3");
  auto p = plan_cycle(in);
  EXPECT_EQ(p.synchronized_standby_slots, (names{"node2"}));
  EXPECT_TRUE(p.desired.contains("node3")); // retained, but not waited for
}

TEST(SynchronizedStandbySlotsChange, NotPlannedOnReplicas) {
  auto v = view_of({node("node1"), node("node2")}, {logical_slot("cdc", "app", "pgoutput", true)});
  auto in = replica_input(v, "node2", "node1");
  in.server_major = 17;
  in.synchronized_standby_slots = "";
  EXPECT_EQ(plan_cycle(in).synchronized_standby_slots, std::nullopt);
}

// The failover flag reaches the primary's create; the replica leaves the
// slot to slotsync (no copy, no advance).
TEST(FailoverPermanentSlots, CreatedWithFlagOnPrimaryLeftToSlotsyncOnReplica) {
  auto v = view_of({node("node1"), node("node2")}, {logical_slot("cdc", "app", "pgoutput", true)});
  auto in = primary_input(v, "node1");
  in.server_major = 17;
  auto p = plan_cycle(in);
  ASSERT_EQ(p.logical_creates.size(), 1u);
  EXPECT_TRUE(p.logical_creates[0].failover);
  in.server_major = 16;
  EXPECT_FALSE(plan_cycle(in).logical_creates.at(0).failover);
  auto r = replica_input(v, "node2", "node1");
  r.server_major = 17;
  r.leader_positions = {{"cdc", L(500)}};
  p = plan_cycle(r);
  EXPECT_TRUE(p.logical_copies.empty());
  EXPECT_TRUE(p.logical_advances.empty());
}

// After a promotion the synced slot is the new primary's: not created again.
TEST(FailoverPermanentSlots, SyncedSlotOnPromotedPrimaryIsNotCreatedAgain) {
  auto v = view_of({node("node1"), node("node2")}, {logical_slot("cdc", "app", "pgoutput", true)});
  auto in = primary_input(v, "node2");
  in.server_major = 17;
  in.failover_slots = {{"cdc", true, false, std::nullopt}};
  EXPECT_TRUE(plan_cycle(in).logical_creates.empty());
}

} // namespace
} // namespace slotd::model
