#include "pg/model/desired_slots.hpp"

#include <gtest/gtest.h>

#include "model_fixtures.hpp"
#include "pg/model/topology.hpp"

namespace slotd::model {
namespace {
using namespace testing;

node_context primary_ctx(const std::string& me) { return {me, me, node_role::primary}; }
node_context replica_ctx(const std::string& me, const std::string& leader) {
  return {me, leader, node_role::replica};
}

desired_set compute(const cluster_view& v, const node_context& n, const slot_positions& pos = {},
                    std::vector<diagnostic>* diags = nullptr, const std::vector<std::string>& retained = {}) {
  std::vector<diagnostic> local;
  return desired_slots(v, n, pos, retained, diags ? *diags : local);
}

desired_slot physical_desired(const std::string& name, std::optional<std::uint64_t> lsn,
                              std::optional<bool> active, slot_origin origin = slot_origin::member) {
  desired_slot d;
  d.name = name;
  d.type = slot_type::physical;
  if (lsn)
    d.lsn = pg::lsn{*lsn};
  d.expected_active = active;
  d.origin = origin;
  return d;
}

desired_slot logical_desired(const std::string& name, const std::string& db, const std::string& plugin,
                             std::optional<std::uint64_t> lsn = {}) {
  desired_slot d;
  d.name = name;
  d.type = slot_type::logical;
  d.database = db;
  d.plugin = plugin;
  if (lsn)
    d.lsn = pg::lsn{*lsn};
  d.origin = slot_origin::permanent;
  return d;
}

cluster_view three_nodes() {
  return view_of({node("n1"), node("n2"), node("n3")},
                 {logical_slot("cdc", "app", "pgoutput"), physical_slot("archiver")});
}

// docs/slot-rules.md §3.11, row "primary".
TEST(DesiredSlots, PrimaryHasEveryOtherMemberAndAllPermanentSlots) {
  auto d = compute(three_nodes(), primary_ctx("n1"), {{"n2", L(300)}, {"cdc", L(700)}});
  desired_set want{{"archiver", physical_desired("archiver", std::nullopt, true, slot_origin::permanent)},
                   {"cdc", logical_desired("cdc", "app", "pgoutput", 700)},
                   {"n2", physical_desired("n2", 300, true)},
                   {"n3", physical_desired("n3", std::nullopt, true)}};
  EXPECT_EQ(d, want);
}

// §3.11 row "replica": the leader gets a slot too; expected_active only for
// members cascading from me; a permanent physical slot is inactive.
TEST(DesiredSlots, ReplicaHoldsSlotsForEveryoneIncludingTheLeader) {
  auto v = three_nodes();
  v.members.emplace("n4", node("n4", from("n2")));
  auto d = compute(v, replica_ctx("n2", "n1"), {{"n1", L(900)}, {"n3", L(800)}, {"cdc", L(700)}});
  desired_set want{{"archiver", physical_desired("archiver", std::nullopt, false, slot_origin::permanent)},
                   {"cdc", logical_desired("cdc", "app", "pgoutput", 700)},
                   {"n1", physical_desired("n1", 900, false)},
                   {"n3", physical_desired("n3", 800, false)},
                   {"n4", physical_desired("n4", std::nullopt, true)}};
  EXPECT_EQ(d, want);
}

// §3.11 row "nofailover replica": only its cascading followers.
TEST(DesiredSlots, NofailoverReplicaHoldsOnlyItsFollowers) {
  auto v = three_nodes();
  v.members["n2"].tags.nofailover = true;
  v.members.emplace("n4", node("n4", from("n2")));
  auto d = compute(v, replica_ctx("n2", "n1"), {}, nullptr, {"gone"});
  EXPECT_EQ(names_of(d), (names{"n4"}));
  EXPECT_EQ(d.at("n4").expected_active, true);
}

// §3.14: nofailover shapes a replica only. A nofailover member that the HA
// manager promoted anyway keeps a primary's slots: its permanent slots (its
// consumers), the other members' slots and the retained ones.
TEST(DesiredSlots, NofailoverPrimaryKeepsAPrimarysSlots) {
  auto v = three_nodes();
  v.members["n2"].tags.nofailover = true;
  auto as_primary = compute(v, primary_ctx("n2"), {}, nullptr, {"gone"});
  EXPECT_EQ(names_of(as_primary), (names{"archiver", "cdc", "gone", "n1", "n3"}));
  EXPECT_EQ(as_primary, compute(three_nodes(), primary_ctx("n2"), {}, nullptr, {"gone"}))
      << "the same slots as a primary without the tag";
  EXPECT_EQ(names_of(compute(v, replica_ctx("n2", "n1"), {}, nullptr, {"gone"})), names{})
      << "as a replica it holds none (no member cascades from it)";
  EXPECT_EQ(uncopied_as_nofailover(v, "n2"), (std::vector<std::string>{"cdc"}))
      << "so its promotion is unsafe for the logical slots";
  EXPECT_TRUE(uncopied_as_nofailover(v, "n3").empty());
  v.use_slots = false;
  EXPECT_TRUE(uncopied_as_nofailover(v, "n2").empty());
}

// §3.11 row "nostream replica": member slots as a replica, permanent
// physical only, and nobody holds a slot for it.
TEST(DesiredSlots, NostreamReplicaGetsPhysicalPermanentSlotsOnly) {
  auto v = three_nodes();
  v.members["n3"].tags.nostream = true;
  EXPECT_EQ(names_of(compute(v, replica_ctx("n3", "n1"))), (names{"archiver", "n1", "n2"}));
  EXPECT_EQ(names_of(compute(v, primary_ctx("n1"))), (names{"archiver", "cdc", "n2"}));
}

// §3.11 "Retention off": member slots by topology only.
TEST(DesiredSlots, RetentionOffKeepsOnlyTopologySlots) {
  auto v = three_nodes();
  v.member_slots_ttl = std::chrono::milliseconds::zero();
  v.members.emplace("n4", node("n4", from("n2")));
  EXPECT_EQ(names_of(compute(v, primary_ctx("n1"))), (names{"archiver", "cdc", "n2", "n3"}));
  EXPECT_EQ(names_of(compute(v, replica_ctx("n2", "n1"))), (names{"archiver", "cdc", "n4"}));
  EXPECT_EQ(names_of(compute(v, replica_ctx("n3", "n1"))), (names{"archiver", "cdc"}));
}

TEST(DesiredSlots, UseSlotsFalseMeansNoSlotsAtAll) {
  auto v = three_nodes();
  v.use_slots = false;
  EXPECT_TRUE(compute(v, primary_ctx("n1")).empty());
  EXPECT_TRUE(compute(v, replica_ctx("n2", "n1"), {}, nullptr, {"gone"}).empty());
}

// §3.5 step 3 on the leader: a member cascading from an existing other
// member is expected inactive; from me or from nobody-known, active.
TEST(MemberSlots, ExpectedActiveOnThePrimaryFollowsReplicatefrom) {
  auto v = view_of({node("n1"), node("n2"), node("c_me", from("n1")), node("c_n2", from("n2")),
                    node("c_ghost", from("ghost"))});
  std::vector<diagnostic> diags;
  auto d = member_slots(v, primary_ctx("n1"), {}, {}, diags);
  EXPECT_EQ(d.at("c_me").expected_active, true);
  EXPECT_EQ(d.at("c_n2").expected_active, false);
  EXPECT_EQ(d.at("c_ghost").expected_active, true);
  EXPECT_EQ(d.at("n2").expected_active, true);
  EXPECT_TRUE(diags.empty());
}

// §3.5 step 3 on a replica: the leader is never expected on me, even when
// its stale tags say it replicates from me.
TEST(MemberSlots, LeaderIsNeverExpectedActiveOnAReplica) {
  auto v = view_of({node("n1", from("n2")), node("n2"), node("n3", from("n2"))});
  std::vector<diagnostic> diags;
  auto d = member_slots(v, replica_ctx("n2", "n1"), {}, {}, diags);
  EXPECT_EQ(d.at("n1").expected_active, false);
  EXPECT_EQ(d.at("n3").expected_active, true);
}

// §3.5 step 5 + §3.14: a cascading member's slot follows max(its reported
// xlog_location, the leader's position); a direct member ignores xlog.
TEST(MemberSlots, CascadingMemberPositionIsMaxOfXlogAndLeader) {
  auto v = view_of({node("n1"), node("n2", {}, 5000), node("c1", from("n2"), 98), node("c2", from("n2"), 90)});
  std::vector<diagnostic> diags;
  auto d = member_slots(v, primary_ctx("n1"), {{"n2", L(400)}, {"c1", L(97)}, {"c2", L(95)}}, {}, diags);
  EXPECT_EQ(d.at("n2").lsn, L(400));
  EXPECT_EQ(d.at("c1").lsn, L(98));
  EXPECT_EQ(d.at("c2").lsn, L(95));
}

// §3.5 step 7 / §3.1: collisions are reported, the first member keeps the slot.
TEST(MemberSlots, NameCollisionsAreReported) {
  auto v = view_of({node("n1"), node("test-3"), node("test.3"), node("Test_3")});
  std::vector<diagnostic> diags;
  auto d = member_slots(v, primary_ctx("n1"), {}, {}, diags);
  EXPECT_EQ(names_of(d), (names{"test_3"}));
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags[0].code, diagnostic_code::member_slot_collision);
  EXPECT_EQ(diags[0].slot, "test_3");
  EXPECT_EQ(diags[0].text,
            "Following cluster members share a replication slot name: Test_3, test-3, test.3 map to test_3");
}

// A member normalising to my own slot name gets no slot here (my own slot
// is never desired) and the collision names me.
TEST(MemberSlots, CollisionWithMyOwnSlotNameIsReportedAndSkipped) {
  auto v = view_of({node("n-1"), node("n.1"), node("n2")});
  std::vector<diagnostic> diags;
  auto d = member_slots(v, primary_ctx("n-1"), {}, {}, diags);
  EXPECT_EQ(names_of(d), (names{"n2"}));
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags[0].text, "Following cluster members share a replication slot name: n-1, n.1 map to n_1");
}

// §3.5 step 6: retained names carry no lsn and no expected_active; never
// my own; never on a nofailover node.
TEST(MemberSlots, RetainedSlotsHaveNoTargetAndNoExpectation) {
  auto v = view_of({node("n1"), node("n2")});
  std::vector<diagnostic> diags;
  auto d = member_slots(v, replica_ctx("n2", "n1"), {{"gone", L(5)}}, {"gone", "n2", "n1"}, diags);
  EXPECT_EQ(names_of(d), (names{"gone", "n1"}));
  EXPECT_EQ(d.at("gone"), physical_desired("gone", std::nullopt, std::nullopt, slot_origin::retained));
  EXPECT_EQ(d.at("n1").origin, slot_origin::member);
}

// §3.7: validation of permanent slots, one diagnostic each.
TEST(PermanentSlots, InvalidNamesBadValuesAndConflictsAreReported) {
  auto v = view_of({node("n1"), node("test-3")},
                   {physical_slot("A"), logical_slot("b", "", "pgoutput"), logical_slot("c", "db", ""),
                    logical_slot("test_3", "db", "pgoutput"), logical_slot("ok", "db", "pgoutput")});
  std::vector<diagnostic> diags;
  auto d = compute(v, primary_ctx("n1"), {}, &diags);
  EXPECT_EQ(names_of(d), (names{"ok", "test_3"}));
  EXPECT_EQ(d.at("test_3").type, slot_type::physical); // the member slot wins
  EXPECT_EQ(codes_of(diags), (std::vector{diagnostic_code::invalid_slot_name, diagnostic_code::bad_slot_value,
                                          diagnostic_code::bad_slot_value, diagnostic_code::conflicts_member_slot}));
  EXPECT_EQ(diags[0].slot, "A");
  EXPECT_EQ(diags[1].slot, "b");
  EXPECT_EQ(diags[2].slot, "c");
  EXPECT_EQ(diags[3].slot, "test_3");
}

// §3.7: a member slot wins over a same-named permanent physical slot; a
// permanent physical slot named like me is skipped; once the member is gone
// (retention off) the permanent slot keeps the name alive.
TEST(PermanentSlots, MemberSlotWinsOverSameNamedPermanentPhysical) {
  auto v = view_of({node("n1"), node("n2")}, {physical_slot("n2"), physical_slot("n1")});
  auto d = compute(v, primary_ctx("n1"), {{"n2", L(10)}});
  EXPECT_EQ(names_of(d), (names{"n2"}));
  EXPECT_EQ(d.at("n2").origin, slot_origin::member);
  v.members.erase("n2");
  v.member_slots_ttl = std::chrono::milliseconds::zero();
  d = compute(v, primary_ctx("n1"), {{"n2", L(10)}});
  EXPECT_EQ(d.at("n2"), physical_desired("n2", 10, true, slot_origin::permanent));
}

// §3.3 + §3.7 (docs/slot-rules.md §6.19): a permanent physical slot named like
// a member that cascades elsewhere is expected inactive on the primary and
// follows that member's xlog_location.
TEST(PermanentSlots, NamedLikeCascadingMemberFollowsItsXlog) {
  auto v = view_of({node("test0"), node("test-1", from("other"), 12346), node("other")},
                   {physical_slot("test_1")});
  v.member_slots_ttl = std::chrono::milliseconds::zero();
  auto d = compute(v, primary_ctx("test0"), {{"test_1", L(12345)}});
  EXPECT_EQ(d.at("test_1"), physical_desired("test_1", 12346, false, slot_origin::permanent));
}

TEST(PermanentSlots, NoneOnNofailoverNodeAndNoLogicalWithoutStreamingPath) {
  auto v = three_nodes();
  v.members["n2"].tags.nofailover = true;
  EXPECT_TRUE(permanent_slots_for_node(v, replica_ctx("n2", "n1")).empty());
  v.members["n3"].tags.replicatefrom = "n3x";
  v.members.emplace("n3x", node("n3x", from("n3")));
  auto cyc = permanent_slots_for_node(v, replica_ctx("n3", "n1"));
  ASSERT_EQ(cyc.size(), 1u);
  EXPECT_EQ(cyc[0].name, "archiver");
}

TEST(PermanentSlots, FailoverFlagIsCarriedToTheDesiredSlot) {
  auto v = view_of({node("n1")}, {logical_slot("native", "app", "pgoutput", true)});
  EXPECT_TRUE(compute(v, primary_ctx("n1")).at("native").failover);
}

// docs/slot-rules.md §3.9 and §6.12.
TEST(HotStandbyFeedback, NeededForLogicalSlotsAndForRelaysOfThem) {
  auto v = view_of({node("n1"), node("n2"), node("relay", nofailover()), node("leaf", from("relay"))},
                   {logical_slot("cdc", "app", "pgoutput")});
  const std::optional<std::string> leader("n1");
  EXPECT_TRUE(should_enforce_hot_standby_feedback(v, "n2", leader));
  EXPECT_TRUE(should_enforce_hot_standby_feedback(v, "leaf", leader));
  // relay holds no permanent slots (nofailover) but forwards leaf's feedback
  EXPECT_TRUE(should_enforce_hot_standby_feedback(v, "relay", leader));
  v.members["leaf"].tags.nofailover = true;
  EXPECT_FALSE(should_enforce_hot_standby_feedback(v, "relay", leader));
  v.slots.clear();
  EXPECT_FALSE(should_enforce_hot_standby_feedback(v, "n2", leader));
}

TEST(HotStandbyFeedback, ReplicatefromCycleIsFalseAndTerminates) {
  auto v = view_of({node("leader"), node("node1", from("node2")), node("node2", from("node1"))},
                   {logical_slot("cdc", "app", "pgoutput")});
  EXPECT_FALSE(should_enforce_hot_standby_feedback(v, "node1", std::string("leader")));
  EXPECT_FALSE(should_enforce_hot_standby_feedback(v, "node2", std::string("leader")));
}

// docs/slot-rules.md §6.10: nostream processing across five nodes.
TEST(DesiredSlots, Scenario10_NostreamProcessing) {
  auto v = view_of({node("leader", {}, 99), node("test_2", nostream()), node("test_3", from("test_2"), 98),
                    node("test_4")},
                   {logical_slot("foo", "a", "b"), physical_slot("bar")});
  const slot_positions pos{{"leader", L(99)}, {"test_3", L(97)}};

  auto primary = compute(v, primary_ctx("leader"), pos);
  EXPECT_EQ(names_of(primary), (names{"bar", "foo", "test_3", "test_4"}));
  EXPECT_EQ(primary.at("test_3"), physical_desired("test_3", 98, false));
  EXPECT_EQ(primary.at("test_4"), physical_desired("test_4", std::nullopt, true));

  auto ns = compute(v, replica_ctx("test_2", "leader"), pos);
  EXPECT_EQ(names_of(ns), (names{"bar", "leader", "test_3", "test_4"}));
  EXPECT_EQ(ns.at("leader"), physical_desired("leader", 99, false));
  EXPECT_EQ(ns.at("test_3"), physical_desired("test_3", 98, true));
  EXPECT_EQ(ns.at("test_4"), physical_desired("test_4", std::nullopt, false));
  EXPECT_EQ(get_slot_name_on_primary(v, "test_2", std::string("leader")), std::nullopt);

  auto cascade = compute(v, replica_ctx("test_3", "leader"), pos);
  EXPECT_EQ(names_of(cascade), (names{"bar", "leader", "test_4"}));
  EXPECT_EQ(get_slot_name_on_primary(v, "test_3", std::string("leader")), std::nullopt);

  auto normal = compute(v, replica_ctx("test_4", "leader"), pos);
  EXPECT_EQ(names_of(normal), (names{"bar", "foo", "leader", "test_3"}));
  EXPECT_EQ(get_slot_name_on_primary(v, "test_4", std::string("leader")), "test_4");
}

} // namespace
} // namespace slotd::model
