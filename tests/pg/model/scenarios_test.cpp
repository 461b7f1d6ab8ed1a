// docs/slot-rules.md §6: the scenarios of Patroni's tests/test_slots.py,
// translated to slotd's inputs. Setup (§6): PostgreSQL 17; permanent slots ls
// (logical, database a, plugin b) and ls2 (physical); the leader publishes
// {ls: 12345, ls2: 12345}; members test0 (me), test-1 (replicatefrom leader)
// and leader; the local server has physical blabla and foobar and logical ls
// (a/b, catalog_xmin 100, confirmed_flush 500).
// Scenarios that are pure I/O (1: query errors, 17: fsync, 22: drop
// outcomes) belong to the actors; 6 (PG 9.6) becomes "unsupported major".
#include <gtest/gtest.h>

#include "model_fixtures.hpp"
#include "pg/model/promotion.hpp"
#include "pg/model/readiness.hpp"
#include "pg/model/topology.hpp"

namespace slotd::model {
namespace {
using namespace testing;
using drops = std::vector<drop_action>;
using advances = std::vector<physical_advance>;

cluster_view setup_view() {
  return view_of({node("test0"), node("test-1", from("leader")), node("leader")},
                 {logical_slot("ls", "a", "b"), physical_slot("ls2")});
}

slot_cache setup_local() {
  return cache_of({physical("blabla", 12345), physical("foobar", 12345), logical("ls", "a", "b", 500, 100)});
}

cycle_input setup_replica() {
  auto in = replica_input(setup_view(), "test0", "leader", setup_local());
  in.server_major = 17;
  in.leader_positions = {{"ls", L(12345)}, {"ls2", L(12345)}};
  return in;
}

cycle_input setup_primary() {
  auto in = primary_input(setup_view(), "test0", setup_local());
  in.server_major = 17;
  return in;
}

// §6.2 (standby leader → primary here): blabla is ignored, foobar is unknown
// and active: exactly one warning, about foobar, and no drop.
TEST(Scenario, S02_OneWarningForTheActiveUnknownSlot) {
  auto in = setup_primary();
  in.view.ignore_slots = {{std::string("blabla"), {}, {}, {}}};
  in.local.at("foobar").active = true;
  auto p = plan_cycle(in);
  EXPECT_TRUE(p.drops.empty());
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.diagnostics[0].code, diagnostic_code::slot_active);
  EXPECT_EQ(p.diagnostics[0].slot, "foobar");
  EXPECT_EQ(p.diagnostics[0].level, severity::warning);
}

TEST(Scenario, S02_WithoutActivityTheUnknownSlotIsDropped) {
  auto in = setup_primary();
  in.view.ignore_slots = {{std::string("blabla"), {}, {}, {}}};
  EXPECT_EQ(plan_cycle(in).drops, (drops{{"foobar", drop_reason::unknown}}));
}

// §6.3: replica in pause: no drop even for unknown slots.
TEST(Scenario, S03_PausedReplicaDropsNothing) {
  auto in = setup_replica();
  auto unpaused = plan_cycle(in);
  EXPECT_EQ(unpaused.drops, (drops{{"blabla", drop_reason::unknown}, {"foobar", drop_reason::unknown}}));
  in.paused = true;
  auto p = plan_cycle(in);
  EXPECT_TRUE(p.drops.empty());
  EXPECT_EQ(p.physical_creates, unpaused.physical_creates);
}

// §6.4: told replica, server is a primary: no crash, nothing done.
TEST(Scenario, S04_RoleDisagreementDoesNothing) {
  auto in = setup_replica();
  in.in_recovery = false;
  auto p = plan_cycle(in);
  EXPECT_EQ(p.role, node_role::role_mismatch);
  EXPECT_TRUE(p.drops.empty() && p.physical_creates.empty() && p.logical_copies.empty() &&
              p.physical_advances.empty() && p.logical_advances.empty());
}

// §6.5: collision test-3/test.3, invalid name A, bad value b, permanent
// logical test_3 conflicting with the member slot. Patroni logs five
// ERROR lines (two for the invalid name); slotd has one diagnostic each.
TEST(Scenario, S05_CollisionsAndBadPermanentSlots) {
  auto in = setup_primary();
  in.view.members.emplace("test-3", node("test-3"));
  in.view.members.emplace("test.3", node("test.3"));
  in.view.slots.emplace("A", physical_slot("A"));
  in.view.slots.emplace("b", logical_slot("b", "", "pgoutput"));
  in.view.slots.emplace("test_3", logical_slot("test_3", "a", "b"));
  auto p = plan_cycle(in);
  EXPECT_EQ(codes_of(p.diagnostics),
            (std::vector{diagnostic_code::member_slot_collision, diagnostic_code::invalid_slot_name,
                         diagnostic_code::bad_slot_value, diagnostic_code::conflicts_member_slot}));
  EXPECT_EQ(p.diagnostics[0].text,
            "Following cluster members share a replication slot name: test-3, test.3 map to test_3");
  EXPECT_EQ(p.desired.at("test_3").type, slot_type::physical);
  EXPECT_FALSE(p.desired.contains("A"));
  EXPECT_FALSE(p.desired.contains("b"));
}

// §6.6: an unsupported server (Patroni: 9.6) is reported, nothing is done.
TEST(Scenario, S06_UnsupportedMajorIsANoOp) {
  for (auto in : {setup_primary(), setup_replica()}) {
    in.server_major = 11;
    auto p = plan_cycle(in);
    EXPECT_TRUE(p.drops.empty() && p.physical_creates.empty() && p.logical_creates.empty());
    EXPECT_TRUE(has_code(p.diagnostics, diagnostic_code::unsupported_version, ""));
  }
}

// §6.7: ls as replica, then as primary: kept, neither created nor copied.
TEST(Scenario, S07_ExistingLogicalSlotIsKeptOnBothRoles) {
  auto replica = plan_cycle(setup_replica());
  EXPECT_TRUE(replica.logical_copies.empty());
  EXPECT_EQ(replica.logical_advances, (logical_advance_map{{"a", {{"ls", L(12345)}}}}));
  auto primary = plan_cycle(setup_primary());
  EXPECT_TRUE(primary.logical_creates.empty());
  EXPECT_EQ(primary.desired.at("ls").lsn, L(500)); // its own confirmed_flush
  for (const auto& d : primary.drops)
    EXPECT_NE(d.name, "ls");
}

// §6.8: a cascading replica (someone replicates from me) with ls: no copy.
TEST(Scenario, S08_CascadingReplicaHasNothingToCopy) {
  auto in = setup_replica();
  in.view.members.emplace("test-2", node("test-2", from("test0")));
  auto p = plan_cycle(in);
  EXPECT_TRUE(p.logical_copies.empty());
  EXPECT_EQ(p.desired.at("test_2").expected_active, true);
}

// §6.9: what the leader publishes.
TEST(Scenario, S09_PublishedPositions) {
  auto local = cache_of({logical("ls", "a", "b", 12345), physical("blabla", 12344)});
  slot_positions want{{"blabla", L(12344)}, {"leader", L(0x5000)}, {"ls", L(12345)}};
  EXPECT_EQ(positions_of(local, std::pair<std::string, pg::lsn>{"leader", L(0x5000)}), want);
}

// §6.11: replicatefrom cycle node1 ↔ node2 → no slot on the primary, no
// logical slots, no infinite loop.
TEST(Scenario, S11_ReplicatefromCycle) {
  auto in = setup_replica();
  in.view.members.emplace("node1", node("node1", from("node2")));
  in.view.members.emplace("node2", node("node2", from("node1")));
  EXPECT_EQ(get_slot_name_on_primary(in.view, "node1", std::string("leader")), std::nullopt);
  in.my_name = "node1";
  auto p = plan_cycle(in);
  EXPECT_FALSE(p.desired.contains("ls"));
  EXPECT_TRUE(p.desired.contains("ls2"));
}

// §6.13: copy for a re-copy request; replay clamp 200 / 700 / 900 vs 800;
// an unpublished position; database changed to b.
TEST(Scenario, S13_EnsureLogicalSlotsReplica) {
  auto in = setup_replica();
  in.recopy_requests = {"ls"}; // 58P01 from the advance worker
  auto p = plan_cycle(in);
  EXPECT_EQ(p.logical_copies, (names{"ls"}));
  EXPECT_TRUE(p.logical_advances.empty());

  in.recopy_requests.clear();
  in.leader_positions["ls"] = L(800);
  in.replay_lsn = L(200);
  EXPECT_TRUE(plan_cycle(in).logical_advances.empty());
  in.replay_lsn = L(700);
  EXPECT_EQ(plan_cycle(in).logical_advances, (logical_advance_map{{"a", {{"ls", L(700)}}}}));
  in.replay_lsn = L(900);
  EXPECT_EQ(plan_cycle(in).logical_advances, (logical_advance_map{{"a", {{"ls", L(800)}}}}));

  in.leader_positions.erase("ls"); // the leader's value did not parse
  in.local.erase("ls");
  EXPECT_TRUE(plan_cycle(in).logical_copies.empty());

  in = setup_replica();
  in.view.slots.at("ls").database = "b";
  p = plan_cycle(in);
  EXPECT_EQ(p.drops, (drops{{"blabla", drop_reason::unknown},
                            {"foobar", drop_reason::unknown},
                            {"ls", drop_reason::value_changed}}));
  EXPECT_EQ(p.logical_copies, (names{"ls"}));
}

// §6.14: the copy validates the leader's slot against the configuration;
// without a leader there are no positions and nothing to copy.
TEST(Scenario, S14_CopyValidationAndNoLeader) {
  auto in = setup_replica();
  auto p = plan_cycle(in);
  const auto& want = p.desired.at("ls");
  EXPECT_FALSE(compare_slots(want.shape(), logical("ls", "other", "b")));
  EXPECT_TRUE(compare_slots(want.shape(), logical("ls", "a", "b")));
  in.leader.reset();
  in.leader_positions.clear();
  in.local.erase("ls");
  EXPECT_TRUE(plan_cycle(in).logical_copies.empty());
}

// §6.15: readiness after a copy (queue ls = unknown).
TEST(Scenario, S15_ReadinessAfterACopy) {
  readiness_queue q{{{"ls", std::nullopt}}};
  auto local = setup_local();
  auto phys = get_slot_name_on_primary(setup_view(), "test0", std::string("leader"));
  ASSERT_EQ(phys, "test0");
  auto no_xmin = check_readiness(q, local, leader_catalog_xmins{{"ls", X(90)}, {"test0", std::nullopt}}, phys);
  EXPECT_TRUE(no_xmin.check_hot_standby_feedback);
  auto only_ls = check_readiness(q, local, leader_catalog_xmins{{"ls", X(90)}}, phys);
  EXPECT_TRUE(has_code(only_ls.diagnostics, diagnostic_code::primary_slot_missing, "test0"));
}

// §6.16: on promote with an unready copied slot: it is reported unsafe.
TEST(Scenario, S16_OnPromoteReportsUnsafeSlots) {
  readiness_queue q{{{"ls", std::nullopt}}};
  EXPECT_EQ(judge_promotion({}, setup_local(), q, 15, {}, {}), (promote_verdict{{}, {"ls"}, {}}));
}

// §6.18: 58P01 and 55000 (invalidated) → re-copy, and the slot is not
// advanced meanwhile.
TEST(Scenario, S18_AdvanceErrorsLeadToRecopyWithoutAdvance) {
  EXPECT_EQ(classify_advance_error("58P01"), advance_error_action::recopy);
  EXPECT_EQ(classify_advance_error("55000"), advance_error_action::recopy);
  auto in = setup_replica();
  in.recopy_requests = {"ls"};
  auto p = plan_cycle(in);
  EXPECT_TRUE(p.logical_advances.empty());
  EXPECT_EQ(p.logical_copies, (names{"ls"}));
}

// §6.19: advance physical on the primary, member_slots_ttl 0: permanent
// test_1 named like member test-1 cascading from another member is
// expected inactive and advanced to the member's xlog 12346 (0/303A); with
// an xmin it is dropped and recreated instead.
TEST(Scenario, S19_AdvancePhysicalOnPrimary) {
  auto in = setup_primary();
  in.view.member_slots_ttl = std::chrono::milliseconds::zero();
  in.view.slots.emplace("test_1", physical_slot("test_1"));
  in.view.members.at("test-1").xlog_location = L(12346);
  in.view.ignore_slots = {{{}, std::string("physical"), {}, {}}};
  in.local.emplace("test_1", physical("test_1", 12345));
  in.local.emplace("ls2", physical("ls2", 12345));
  auto p = plan_cycle(in);
  EXPECT_EQ(p.desired.at("test_1").expected_active, false);
  EXPECT_EQ(p.physical_advances, (advances{{"test_1", *pg::lsn::parse("0/303A")}}));
  in.local.at("test_1").xmin = X(1000);
  p = plan_cycle(in);
  EXPECT_EQ(p.drops, (drops{{"test_1", drop_reason::xmin_on_inactive}}));
  EXPECT_EQ(p.physical_creates, (names{"leader", "test_1"})); // member "leader" streams from me
  EXPECT_TRUE(p.physical_advances.empty());
}

// §6.20: advance physical on a replica.
TEST(Scenario, S20_AdvancePhysicalOnReplica) {
  auto in = setup_replica();
  in.view.slots.emplace("blabla", physical_slot("blabla"));
  in.leader_positions["blabla"] = L(12346);
  in.local.emplace("leader", physical("leader", 12345, 77)); // member slot with xmin
  in.local.emplace("test_1", physical("test_1", {}));        // no restart_lsn
  auto p = plan_cycle(in);
  EXPECT_EQ(p.physical_advances, (advances{{"blabla", L(0x303A)}}));
  EXPECT_EQ(p.drops, (drops{{"foobar", drop_reason::unknown},
                            {"leader", drop_reason::xmin_on_inactive},
                            {"test_1", drop_reason::no_restart_lsn}}));
  EXPECT_EQ(p.physical_creates, (names{"leader", "ls2"}));

  in.leader.reset(); // no leader: the xmin slot stays
  p = plan_cycle(in);
  for (const auto& d : p.drops)
    EXPECT_NE(d.name, "leader");

  in = setup_replica(); // the no-restart_lsn slot is dropped once, then recreated
  in.local.emplace("test_1", physical("test_1", {}));
  p = plan_cycle(in);
  EXPECT_EQ(std::count(p.physical_creates.begin(), p.physical_creates.end(), "test_1"), 0);
  in.local.erase("test_1");
  p = plan_cycle(in);
  EXPECT_EQ(std::count(p.physical_creates.begin(), p.physical_creates.end(), "test_1"), 1);
}

// §6.21: a nofailover replica with retained slots creates nothing.
TEST(Scenario, S21_NofailoverReplicaCreatesNothing) {
  auto in = setup_replica();
  in.view.members.at("test0").tags.nofailover = true;
  in.retention.last_seen["gone"] = in.now;
  in.local.clear();
  auto p = plan_cycle(in);
  EXPECT_TRUE(p.desired.empty());
  EXPECT_TRUE(p.physical_creates.empty());
  EXPECT_TRUE(p.logical_copies.empty());
}

// §6.23: PG17 replica, logical failover=true synced=false under a foreign
// leader → dropped.
TEST(Scenario, S23_FailoverNotSyncedDroppedUnderForeignLeader) {
  auto in = setup_replica();
  in.local.at("ls").failover = true;
  auto p = plan_cycle(in);
  EXPECT_EQ(p.drops.front(), (drop_action{"ls", drop_reason::failover_not_synced}));
  EXPECT_EQ(p.logical_copies, (names{"ls"})); // the plain permanent slot is copied again
}

// §6.24: PG17 replica: a failover+synced logical slot is skipped; physical
// test_1 with wal_status lost is dropped and recreated.
TEST(Scenario, S24_SyncedSkippedLostRecreated) {
  auto in = setup_replica();
  in.local.at("ls").failover = true;
  in.local.at("ls").synced = true;
  auto lost = physical("test_1", {});
  lost.wal_status = "lost";
  in.local.emplace("test_1", lost);
  auto p = plan_cycle(in);
  EXPECT_EQ(p.drops, (drops{{"blabla", drop_reason::unknown},
                            {"foobar", drop_reason::unknown},
                            {"test_1", drop_reason::wal_status_lost}}));
  EXPECT_EQ(p.physical_creates, (names{"leader", "ls2", "test_1"}));
  // the hidden synced slot belongs to PostgreSQL's slotsync: never copied over
  EXPECT_TRUE(p.logical_copies.empty());
  EXPECT_TRUE(p.logical_advances.empty());
  in.server_major = 16; // before 17 the flags mean nothing: ls is ours and advanced
  EXPECT_EQ(plan_cycle(in).logical_advances, (logical_advance_map{{"a", {{"ls", L(12345)}}}}));
}

} // namespace
} // namespace slotd::model
