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

using senders = std::map<std::string, std::string>;

standby_slots_input standbys(std::optional<std::string> current, std::optional<senders> s, int min = 1) {
  return {std::move(current), std::move(s), min};
}

const senders both_streaming{{"node2", "streaming"}, {"node3", "streaming"}};

TEST(SynchronizedStandbySlotsChange, OnlyOn17WithFailoverSlotsAndWhenDifferent) {
  auto v = view_of({node("node1"), node("node2"), node("node3")}, {logical_slot("cdc", "app", "pgoutput", true)});
  EXPECT_EQ(synchronized_standby_slots_change(v, "node1", 17, standbys("", both_streaming)), (names{"node2", "node3"}));
  EXPECT_EQ(synchronized_standby_slots_change(v, "node1", 17, standbys("node3, node2", both_streaming)), std::nullopt);
  EXPECT_EQ(synchronized_standby_slots_change(v, "node1", 17, standbys("node2", both_streaming)),
            (names{"node2", "node3"}));
  EXPECT_EQ(synchronized_standby_slots_change(v, "node1", 17, standbys(std::nullopt, both_streaming)),
            std::nullopt); // not read
  EXPECT_EQ(synchronized_standby_slots_change(v, "node1", 17, standbys("", std::nullopt)),
            std::nullopt); // walsenders not read: no change on a guess
  EXPECT_EQ(synchronized_standby_slots_change(v, "node1", 16, standbys("", both_streaming)), std::nullopt);
  auto plain = view_of({node("node1"), node("node2")}, {logical_slot("cdc", "app", "pgoutput")});
  EXPECT_EQ(synchronized_standby_slots_change(plain, "node1", 17, standbys("x", both_streaming)), std::nullopt);
}

// Only streaming replicas hold the consumers back: one down or catching up
// is left out, and listed again once it streams.
TEST(SynchronizedStandbySlotsChange, OnlyStreamingReplicasAreListed) {
  auto v = view_of({node("node1"), node("node2"), node("node3")}, {logical_slot("cdc", "app", "pgoutput", true)});
  EXPECT_EQ(synchronized_standby_slots_change(v, "node1", 17, standbys("node2,node3", senders{{"node2", "streaming"}})),
            (names{"node2"}));
  EXPECT_EQ(synchronized_standby_slots_change(
                v, "node1", 17, standbys("node2,node3", senders{{"node2", "streaming"}, {"node3", "catchup"}})),
            (names{"node2"}));
  EXPECT_EQ(synchronized_standby_slots_change(v, "node1", 17, standbys("node2", both_streaming)),
            (names{"node2", "node3"}));
  // A walsender on a slot that is no failover-capable replica's counts for nothing.
  auto c = choose_synchronized_standby_slots(v, "node1", senders{{"node2", "streaming"}, {"other", "streaming"}},
                                             "node2,node3", 1);
  EXPECT_EQ(c.listed, (names{"node2"}));
  EXPECT_EQ(c.streaming, (names{"node2"}));
  EXPECT_TRUE(c.kept_waiting.empty());
}

// ANY N: fewer than min_standbys streaming keeps others listed, preferring
// one catching up, then one listed now, then by name; 0 lists none.
TEST(SynchronizedStandbySlotsChange, MinStandbysKeepsReplicasListedWhenTooFewStream) {
  auto v = view_of({node("node1"), node("node2"), node("node3"), node("node4")},
                   {logical_slot("cdc", "app", "pgoutput", true)});
  auto none = choose_synchronized_standby_slots(v, "node1", {}, "node3", 1);
  EXPECT_EQ(none.listed, (names{"node3"})) << "the one listed now stays";
  EXPECT_EQ(none.kept_waiting, (names{"node3"}));
  EXPECT_TRUE(none.streaming.empty());
  EXPECT_EQ(choose_synchronized_standby_slots(v, "node1", {}, "", 1).listed, (names{"node2"})) << "by name";
  EXPECT_EQ(choose_synchronized_standby_slots(v, "node1", senders{{"node4", "catchup"}}, "node3", 1).listed,
            (names{"node4"}))
      << "catching up beats listed now";
  EXPECT_EQ(choose_synchronized_standby_slots(v, "node1", senders{{"node2", "streaming"}}, "", 2).listed,
            (names{"node2", "node3"}));
  EXPECT_TRUE(choose_synchronized_standby_slots(v, "node1", {}, "node2", 0).listed.empty());
  EXPECT_EQ(choose_synchronized_standby_slots(v, "node1", {}, "", 9).listed, (names{"node2", "node3", "node4"}))
      << "never more than the failover-capable replicas";
}

// Membership change: a member that leaves the view leaves the setting at
// once, even though its slot is retained (member_slots_ttl), and is never
// kept waiting for.
TEST(SynchronizedStandbySlotsChange, GoneMemberIsNeverListed) {
  auto v = view_of({node("node1"), node("node2"), node("node3")}, {logical_slot("cdc", "app", "pgoutput", true)});
  auto in = primary_input(v, "node1", cache_of({physical("node2", 100), physical("node3", 100)}));
  in.server_major = 17;
  in.synchronized_standby_slots = "node2,node3";
  in.standby_senders = both_streaming;
  auto first = plan_cycle(in);
  EXPECT_EQ(first.synchronized_standby_slots, std::nullopt);
  in.retention = first.retention; // node3 was seen: its slot is retained
  in.view.members.erase("node3");
  auto p = plan_cycle(in);
  EXPECT_EQ(p.synchronized_standby_slots, (names{"node2"}));
  EXPECT_TRUE(p.desired.contains("node3")); // retained, but not waited for
  in.standby_senders = senders{{"node3", "streaming"}};
  in.min_standbys = 2;
  EXPECT_EQ(plan_cycle(in).synchronized_standby_slots, (names{"node2"}));
}

// What a replica learns from its leader's setting.
TEST(SynchronizedStandbySlotsLeftOut, AReplicaKnowsWhenItsLeaderLeavesItOut) {
  auto v = view_of({node("node1"), node("node2"), node("node3")}, {logical_slot("cdc", "app", "pgoutput", true)});
  EXPECT_EQ(standby_slots_left_out(v, "node1", std::string("node2")), (names{"node3"}));
  EXPECT_TRUE(standby_slots_left_out(v, "node1", std::nullopt).empty());
  EXPECT_TRUE(left_out_of_standby_slots(v, "node3", "node1", 17, std::string("node2")));
  EXPECT_FALSE(left_out_of_standby_slots(v, "node2", "node1", 17, std::string("node2")));
  EXPECT_FALSE(left_out_of_standby_slots(v, "node3", "node1", 17, std::nullopt)) << "unknown: no verdict";
  EXPECT_FALSE(left_out_of_standby_slots(v, "node3", "node1", 16, std::string("node2")));
  auto plain = view_of({node("node1"), node("node2")}, {logical_slot("cdc", "app", "pgoutput")});
  EXPECT_FALSE(left_out_of_standby_slots(plain, "node2", "node1", 17, std::string(""))) << "no failover slots";
  v.members["node3"].tags.nofailover = true;
  EXPECT_FALSE(left_out_of_standby_slots(v, "node3", "node1", 17, std::string("node2"))) << "never takes over";
}

TEST(ReducedProtectionClock, CountsTheTimeWithSomeReplicaLeftOut) {
  using namespace std::chrono_literals;
  reduced_protection_clock c;
  std::chrono::steady_clock::time_point t{};
  c.observe(false, t);
  EXPECT_EQ(c.seconds(t + 5s), 0);
  c.observe(true, t + 10s);
  EXPECT_TRUE(c.reduced());
  EXPECT_DOUBLE_EQ(c.seconds(t + 13s), 3);
  c.observe(true, t + 14s);
  c.observe(false, t + 20s);
  EXPECT_FALSE(c.reduced());
  EXPECT_DOUBLE_EQ(c.seconds(t + 100s), 10);
  c.observe(true, t + 100s);
  EXPECT_DOUBLE_EQ(c.seconds(t + 101s), 11);
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
