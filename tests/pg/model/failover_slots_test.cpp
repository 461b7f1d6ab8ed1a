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

TEST(NativeFailoverSlot, LogicalAndDeclaredFailoverFrom17On) {
  EXPECT_TRUE(is_native_failover_slot(slot_type::logical, true, 17));
  EXPECT_TRUE(is_native_failover_slot(slot_type::logical, true, 18));
  EXPECT_FALSE(is_native_failover_slot(slot_type::logical, true, 16)) << "before 17 slotd copies it";
  EXPECT_FALSE(is_native_failover_slot(slot_type::logical, false, 17));
  EXPECT_FALSE(is_native_failover_slot(slot_type::physical, true, 17));
}

TEST(LocalLogicalSlotReady, LeadThenSyncStateThenReadinessQueue) {
  failover_slot_state synced{"cdc", true, false, std::nullopt};
  failover_slot_state temporary{"cdc", true, true, std::nullopt};
  // The lead: ready whatever else holds.
  EXPECT_TRUE(is_local_logical_slot_ready(true, true, nullptr, true));
  // A native failover slot: PostgreSQL's sync state only (the queue does not count).
  EXPECT_TRUE(is_local_logical_slot_ready(false, true, &synced, true));
  EXPECT_FALSE(is_local_logical_slot_ready(false, true, &temporary, false));
  EXPECT_FALSE(is_local_logical_slot_ready(false, true, nullptr, false)) << "not there: not ready";
  // A copy: ready once no proof is pending.
  EXPECT_TRUE(is_local_logical_slot_ready(false, false, nullptr, false));
  EXPECT_FALSE(is_local_logical_slot_ready(false, false, &synced, true));
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
using namespace std::chrono_literals;
const std::chrono::steady_clock::time_point t0{};

standby_slots_input standbys(std::optional<std::string> current, std::optional<senders> s, int min = 1) {
  standby_slots_input in;
  in.current = std::move(current);
  in.senders = std::move(s);
  in.min_standbys = min;
  in.now = t0 + 1h;
  return in;
}

const senders both_streaming{{"node2", "streaming"}, {"node3", "streaming"}};

cluster_view three_with_failover() {
  return view_of({node("node1"), node("node2"), node("node3")}, {logical_slot("cdc", "app", "pgoutput", true)});
}

TEST(SynchronizedStandbySlotsChange, OnlyOn17WithFailoverSlotsAndWhenDifferent) {
  auto v = three_with_failover();
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
// is left out once leave_out_after has passed since it stopped streaming,
// and listed again once it streams; one not listed is not added while it
// catches up.
TEST(SynchronizedStandbySlotsChange, ReplicasThatStopStreamingAreLeftOutAfterTheGrace) {
  auto v = three_with_failover();
  auto in = standbys("node2,node3", senders{{"node2", "streaming"}, {"node3", "catchup"}});
  in.leave_out_after = 30s;
  in.not_streaming = track_not_streaming({}, v, "node1", *in.senders, in.now);
  EXPECT_EQ(in.not_streaming.size(), 1u);
  EXPECT_EQ(synchronized_standby_slots_change(v, "node1", 17, in), std::nullopt) << "within the grace";
  EXPECT_EQ(choose_synchronized_standby_slots(v, "node1", in).kept_waiting, (names{"node3"}));
  in.now += 29s;
  in.not_streaming = track_not_streaming(in.not_streaming, v, "node1", *in.senders, in.now);
  EXPECT_EQ(synchronized_standby_slots_change(v, "node1", 17, in), std::nullopt);
  in.now += 1s;
  EXPECT_EQ(synchronized_standby_slots_change(v, "node1", 17, in), (names{"node2"}));
  in.current = "node2";
  EXPECT_EQ(synchronized_standby_slots_change(v, "node1", 17, in), std::nullopt) << "not added back while catching up";
  in.senders = both_streaming;
  in.not_streaming = track_not_streaming(in.not_streaming, v, "node1", *in.senders, in.now);
  EXPECT_TRUE(in.not_streaming.empty());
  EXPECT_EQ(synchronized_standby_slots_change(v, "node1", 17, in), (names{"node2", "node3"}));
  // leave_out_after 0: at once.
  auto at_once = standbys("node2,node3", senders{{"node2", "streaming"}});
  at_once.leave_out_after = 0s;
  at_once.not_streaming = track_not_streaming({}, v, "node1", *at_once.senders, at_once.now);
  EXPECT_EQ(synchronized_standby_slots_change(v, "node1", 17, at_once), (names{"node2"}));
  // No start time yet (the first cycle as primary): just seen, in the grace.
  auto first = standbys("node2,node3", senders{{"node2", "streaming"}});
  EXPECT_EQ(synchronized_standby_slots_change(v, "node1", 17, first), std::nullopt);
  // A walsender on a slot that is no failover-capable replica's counts for nothing.
  auto c = choose_synchronized_standby_slots(v, "node1", standbys("node2", senders{{"node2", "streaming"},
                                                                                  {"other", "streaming"}}));
  EXPECT_EQ(c.listed, (names{"node2"}));
  EXPECT_EQ(c.streaming, (names{"node2"}));
  EXPECT_TRUE(c.kept_waiting.empty());
}

// ANY N: fewer than min_standbys listed keeps others listed, preferring one
// listed now (the consumers waited for it), then one catching up, then by
// name; 0 lists none.
TEST(SynchronizedStandbySlotsChange, MinStandbysKeepsReplicasListedWhenTooFewStream) {
  auto v = view_of({node("node1"), node("node2"), node("node3"), node("node4")},
                   {logical_slot("cdc", "app", "pgoutput", true)});
  auto choose = [&](senders s, std::string current, int min) {
    auto in = standbys(std::move(current), std::move(s), min);
    in.not_streaming = {{"node2", t0}, {"node3", t0}, {"node4", t0}}; // an hour ago: past the grace
    return choose_synchronized_standby_slots(v, "node1", in);
  };
  auto none = choose({}, "node3", 1);
  EXPECT_EQ(none.listed, (names{"node3"})) << "the one listed now stays";
  EXPECT_EQ(none.kept_waiting, (names{"node3"}));
  EXPECT_TRUE(none.streaming.empty());
  EXPECT_EQ(choose({}, "", 1).listed, (names{"node2"})) << "by name";
  EXPECT_EQ(choose(senders{{"node4", "catchup"}}, "node3", 1).listed, (names{"node3"}))
      << "listed now beats catching up: the consumers may be ahead of the one catching up";
  EXPECT_EQ(choose(senders{{"node4", "catchup"}}, "", 1).listed, (names{"node4"})) << "catching up beats by name";
  EXPECT_EQ(choose(senders{{"node2", "streaming"}}, "", 2).listed, (names{"node2", "node3"}));
  EXPECT_TRUE(choose({}, "node2", 0).listed.empty());
  EXPECT_EQ(choose({}, "", 9).listed, (names{"node2", "node3", "node4"}))
      << "never more than the failover-capable replicas";
}

// Membership change: a member that leaves the view leaves the setting at
// once, even though its slot is retained (member_slots_ttl), and is never
// kept waiting for.
TEST(SynchronizedStandbySlotsChange, GoneMemberIsNeverListed) {
  auto v = three_with_failover();
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

// What a replica learns of its protection, in the rule's order.
TEST(StandbyProtectionGap, LeftOutStoppedStreamingOrBehindTheConsumers) {
  auto v = three_with_failover();
  standby_protection_input in;
  in.my_name = "node3";
  in.leader = "node1";
  in.server_major = 17;
  in.leader_value = "node2,node3";
  in.consumers_confirmed = pg::lsn{500};
  in.leader_slots = cache_of({physical("node3", 600)});
  EXPECT_EQ(standby_protection_gap(v, in), "");
  in.leader_slots = cache_of({physical("node3", 400)});
  EXPECT_EQ(standby_protection_gap(v, in).rfind("behind the consumers of failover slots", 0), 0u)
      << standby_protection_gap(v, in);
  in.stopped_streaming = "WAL receiver: none";
  EXPECT_EQ(standby_protection_gap(v, in).rfind("not streaming from the leader (WAL receiver: none)", 0), 0u);
  in.leader_value = "node2";
  EXPECT_EQ(standby_protection_gap(v, in).rfind("not in synchronized_standby_slots", 0), 0u);
  // No rule: before 17, no failover slots, never waited for.
  in.server_major = 16;
  EXPECT_EQ(standby_protection_gap(v, in), "");
  in.server_major = 17;
  auto plain = view_of({node("node1"), node("node3")}, {logical_slot("cdc", "app", "pgoutput")});
  EXPECT_EQ(standby_protection_gap(plain, in), "");
  v.members["node3"].tags.nofailover = true;
  EXPECT_EQ(standby_protection_gap(v, in), "");
}

// Evidence of not streaming: the WAL receiver (a hidden status is none), or
// the replica's slot inactive on the leader.
TEST(StandbyProtectionGap, EvidenceOfNotStreaming) {
  auto active = physical("node3", 600);
  active.active = true;
  auto on_leader = cache_of({active});
  EXPECT_EQ(not_streaming_evidence(std::string("streaming"), on_leader, "node3"), "");
  EXPECT_EQ(not_streaming_evidence(std::string("hidden"), on_leader, "node3"), "");
  EXPECT_EQ(not_streaming_evidence(std::nullopt, on_leader, "node3"), "WAL receiver: none");
  EXPECT_EQ(not_streaming_evidence(std::string("waiting"), on_leader, "node3"), "WAL receiver: waiting");
  EXPECT_EQ(not_streaming_evidence(std::string("streaming"), cache_of({physical("node3", 600)}), "node3"),
            "its slot on the leader is not active");
  EXPECT_EQ(not_streaming_evidence(std::string("streaming"), {}, "node3"), "") << "no slot there: no evidence";
}

// Latched when the leader answers after the evidence, kept while the
// evidence lasts (also when the leader stops answering), cleared without it;
// a leader that stops answering as the replica stops streaming latches nothing.
TEST(StandbyProtectionGap, StoppedStreamingWhileTheLeaderRunsIsLatched) {
  stream_watch w;
  w = watch_streaming(w, "WAL receiver: none", false);
  EXPECT_TRUE(w.latched.empty()) << "the leader may be gone";
  w = watch_streaming(w, "WAL receiver: none", true);
  EXPECT_EQ(w.latched, "WAL receiver: none");
  w = watch_streaming(w, "WAL receiver: none", false);
  EXPECT_EQ(w.latched, "WAL receiver: none") << "kept when the leader no longer answers";
  w = watch_streaming(w, "", false);
  EXPECT_TRUE(w.latched.empty());
}

TEST(SynchronizedStandbySlotsLeftOut, TheFailoverCapableReplicasTheSettingDoesNotList) {
  auto v = three_with_failover();
  EXPECT_EQ(standby_slots_left_out(v, "node1", std::string("node2")), (names{"node3"}));
  EXPECT_TRUE(standby_slots_left_out(v, "node1", std::string("node3,node2")).empty());
  EXPECT_TRUE(standby_slots_left_out(v, "node1", std::nullopt).empty());
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
