#include "pg/model/slot_plan.hpp"

#include <gtest/gtest.h>

#include "model_fixtures.hpp"

namespace slotd::model {
namespace {
using namespace testing;
using drops = std::vector<drop_action>;
using advances = std::vector<physical_advance>;
using creates = std::vector<logical_create>;

drop_action unknown(const std::string& n) { return {n, drop_reason::unknown}; }

// Two nodes and a permanent logical slot; "n1" leads.
cluster_view pair_view() {
  return view_of({node("n1"), node("n2")}, {logical_slot("cdc", "app", "pgoutput")});
}

// ---- docs/slot-rules.md §3.13 rule 1 / §2.3.11 pass 1 ----------------------

TEST(PlanDrops, UnknownSlotIsDroppedOnThePrimary) {
  auto p = plan_cycle(primary_input(pair_view(), "n1",
                                    cache_of({physical("n2", 100), logical("cdc", "app", "pgoutput"),
                                              physical("stray", 100), logical("tool", "app", "wal2json")})));
  EXPECT_EQ(p.role, node_role::primary);
  EXPECT_EQ(p.drops, (drops{unknown("stray"), unknown("tool")}));
  EXPECT_TRUE(p.physical_creates.empty());
  EXPECT_TRUE(p.logical_creates.empty());
}

TEST(PlanDrops, IgnoredSlotsAreKept) {
  auto v = pair_view();
  v.ignore_slots = {{std::string("stray"), {}, {}, {}}, {{}, std::string("logical"), {}, std::string("wal2json")}};
  auto p = plan_cycle(primary_input(v, "n1",
                                    cache_of({physical("n2", 100), logical("cdc", "app", "pgoutput"),
                                              physical("stray", 100), logical("tool", "app", "wal2json"),
                                              logical("tool2", "app", "test_decoding")})));
  EXPECT_EQ(p.drops, (drops{unknown("tool2")}));
}

TEST(PlanDrops, ActiveSlotIsNeverPlannedForADrop) {
  auto stray = physical("stray", 100);
  stray.active = true;
  auto p = plan_cycle(primary_input(pair_view(), "n1", cache_of({physical("n2", 100), stray})));
  EXPECT_TRUE(p.drops.empty());
  EXPECT_TRUE(has_code(p.diagnostics, diagnostic_code::slot_active, "stray"));
}

TEST(PlanDrops, TemporarySlotsAreInvisible) {
  auto tmp = physical("pg_basebackup_42", 100);
  tmp.temporary = true;
  auto p = plan_cycle(primary_input(pair_view(), "n1", cache_of({physical("n2", 100), tmp})));
  EXPECT_TRUE(p.drops.empty());
}

TEST(PlanDrops, UseSlotsOffDropsEverythingNotIgnored) {
  auto v = pair_view();
  v.use_slots = false;
  auto p = plan_cycle(primary_input(v, "n1", cache_of({physical("n2", 100)})));
  EXPECT_TRUE(p.desired.empty());
  EXPECT_EQ(p.drops, (drops{unknown("n2")}));
  EXPECT_TRUE(p.physical_creates.empty());
}

// ---- §3.13 rule 2: wal_status = lost -------------------------------------

TEST(PlanDrops, LostDesiredPhysicalSlotIsDroppedAndRecreated) {
  auto lost = physical("n2", {});
  lost.wal_status = "lost";
  auto in = primary_input(pair_view(), "n1", cache_of({lost, logical("cdc", "app", "pgoutput")}));
  in.server_major = 13;
  auto p = plan_cycle(in);
  EXPECT_EQ(p.drops, (drops{{"n2", drop_reason::wal_status_lost}}));
  EXPECT_EQ(p.physical_creates, (names{"n2"}));
}

TEST(PlanDrops, WalStatusIsNotReadOnPostgres12) {
  auto lost = physical("n2", 100);
  lost.wal_status = "lost"; // a value PG12 cannot report: not trusted
  auto in = primary_input(pair_view(), "n1", cache_of({lost, logical("cdc", "app", "pgoutput")}));
  in.server_major = 12;
  auto p = plan_cycle(in);
  EXPECT_TRUE(p.drops.empty());
  EXPECT_TRUE(p.physical_creates.empty());
}

TEST(PlanDrops, LostButIgnoredSlotIsKept) {
  auto v = pair_view();
  v.ignore_slots = {{std::string("n2"), {}, {}, {}}};
  auto lost = physical("n2", 100);
  lost.wal_status = "lost";
  auto p = plan_cycle(primary_input(v, "n1", cache_of({lost, logical("cdc", "app", "pgoutput")})));
  EXPECT_TRUE(p.drops.empty());
}

TEST(PlanDrops, LostLogicalSlotOnPrimaryIsRecreated) {
  auto lost = logical("cdc", "app", "pgoutput");
  lost.wal_status = "lost";
  auto p = plan_cycle(primary_input(pair_view(), "n1", cache_of({physical("n2", 100), lost})));
  EXPECT_EQ(p.drops, (drops{{"cdc", drop_reason::wal_status_lost}}));
  EXPECT_EQ(p.logical_creates, (creates{{"cdc", "app", "pgoutput", false}}));
}

// ---- §3.13 rule 3 / pass 2: type, database, plugin changes -----------------

TEST(PlanDrops, TypeChangeIsDroppedUnguardedAndRecreated) {
  auto v = pair_view();
  v.ignore_slots = {{std::string("cdc"), {}, {}, {}}}; // pass 2 ignores ignore_slots
  auto p = plan_cycle(primary_input(v, "n1", cache_of({physical("n2", 100), physical("cdc", 100)})));
  EXPECT_EQ(p.drops, (drops{{"cdc", drop_reason::value_changed}}));
  EXPECT_EQ(p.logical_creates, (creates{{"cdc", "app", "pgoutput", false}}));
}

TEST(PlanDrops, PhysicalDesiredButLogicalLocalIsRecreatedPhysical) {
  auto p = plan_cycle(primary_input(pair_view(), "n1",
                                    cache_of({logical("n2", "app", "pgoutput"), logical("cdc", "app", "pgoutput")})));
  EXPECT_EQ(p.drops, (drops{{"n2", drop_reason::value_changed}}));
  EXPECT_EQ(p.physical_creates, (names{"n2"}));
}

TEST(PlanDrops, DatabaseOrPluginChangeOnPrimary) {
  for (auto have : {logical("cdc", "other", "pgoutput"), logical("cdc", "app", "wal2json")}) {
    auto p = plan_cycle(primary_input(pair_view(), "n1", cache_of({physical("n2", 100), have})));
    EXPECT_EQ(p.drops, (drops{{"cdc", drop_reason::value_changed}})) << have.database << have.plugin;
    EXPECT_EQ(p.logical_creates, (creates{{"cdc", "app", "pgoutput", false}}));
  }
}

// ---- §2.3.12: physical slots ------------------------------------------------

TEST(PlanPhysical, MissingSlotsAreCreated) {
  auto v = view_of({node("n1"), node("n2"), node("n3")}, {physical_slot("archiver")});
  auto p = plan_cycle(primary_input(v, "n1", cache_of({physical("n2", 100)})));
  EXPECT_EQ(p.physical_creates, (names{"archiver", "n3"}));
  EXPECT_TRUE(p.drops.empty());
  EXPECT_TRUE(p.physical_advances.empty());
}

TEST(PlanPhysical, ReplicaAdvancesInactiveSlotsToTheLeaderPositionNeverBackwards) {
  auto v = view_of({node("n1"), node("n2"), node("n3"), node("n4")}, {physical_slot("archiver")});
  auto in = replica_input(v, "n2", "n1",
                          cache_of({physical("n1", 1000), physical("n3", 500), physical("n4", 800),
                                    physical("archiver", 10)}));
  in.leader_positions = {{"n1", L(2000)}, {"n3", L(600)}, {"n4", L(700)}, {"archiver", L(10)}};
  auto p = plan_cycle(in);
  EXPECT_EQ(p.physical_advances, (advances{{"n1", L(2000)}, {"n3", L(600)}}));
  EXPECT_TRUE(p.physical_creates.empty());
  EXPECT_TRUE(p.drops.empty());
}

TEST(PlanPhysical, ExpectedActiveSlotsAreNotAdvanced) {
  auto v = view_of({node("n1"), node("n2"), node("n3", from("n2"))});
  auto in = replica_input(v, "n2", "n1", cache_of({physical("n1", 1000), physical("n3", 500)}));
  in.leader_positions = {{"n1", L(2000)}, {"n3", L(600)}};
  auto p = plan_cycle(in);
  EXPECT_EQ(p.physical_advances, (advances{{"n1", L(2000)}}));
}

// §3.14: on the primary a cascading member's slot follows its xlog_location.
TEST(PlanPhysical, PrimaryAdvancesCascadingMemberSlotFromItsXlog) {
  auto v = view_of({node("n1"), node("n2"), node("n3", from("n2"), 0x5000)});
  auto p = plan_cycle(primary_input(v, "n1", cache_of({physical("n2", 0x4000), physical("n3", 0x3000)})));
  EXPECT_EQ(p.physical_advances, (advances{{"n3", L(0x5000)}}));
}

// §3.13 rule 4.
TEST(PlanPhysical, InactiveSlotHoldingXminIsDroppedAndRecreatedOnPrimary) {
  auto v = view_of({node("n1"), node("n2"), node("n3", from("n2"))});
  auto p = plan_cycle(primary_input(v, "n1", cache_of({physical("n2", 100, 7), physical("n3", 100, 7)})));
  // n2 is expected active (its xmin is legitimate), n3 cascades elsewhere.
  EXPECT_EQ(p.drops, (drops{{"n3", drop_reason::xmin_on_inactive}}));
  EXPECT_EQ(p.physical_creates, (names{"n3"}));
  EXPECT_TRUE(p.physical_advances.empty());
}

TEST(PlanPhysical, XminSlotOnReplicaDroppedOnlyWhileFollowingALeader) {
  auto v = view_of({node("n1"), node("n2"), node("n3")});
  auto local = cache_of({physical("n1", 100, 7), physical("n3", 100)});
  auto with_leader = plan_cycle(replica_input(v, "n2", "n1", local));
  EXPECT_EQ(with_leader.drops, (drops{{"n1", drop_reason::xmin_on_inactive}}));
  EXPECT_EQ(with_leader.physical_creates, (names{"n1"}));

  auto no_leader = replica_input(v, "n2", "n1", local);
  no_leader.leader.reset(); // patroni#3244: full outage, nobody leads
  auto p = plan_cycle(no_leader);
  EXPECT_TRUE(p.drops.empty());
  EXPECT_TRUE(p.physical_creates.empty());
  EXPECT_TRUE(p.physical_advances.empty()); // xmin set: never advanced
}

TEST(PlanPhysical, PromotingNodeKeepsXminSlots) {
  auto v = view_of({node("n1"), node("n2"), node("n3", from("n2"))});
  auto in = primary_input(v, "n1", cache_of({physical("n2", 100), physical("n3", 100, 7)}));
  in.in_recovery = true;
  auto p = plan_cycle(in);
  EXPECT_EQ(p.role, node_role::promoting);
  EXPECT_TRUE(p.drops.empty());
  EXPECT_TRUE(p.physical_creates.empty());
}

// §3.13 rule 5: recreated next cycle, with reservation.
TEST(PlanPhysical, SlotWithoutRestartLsnIsDroppedNotRecreatedThisCycle) {
  auto v = view_of({node("n1"), node("n2"), node("n3")}, {physical_slot("archiver")});
  auto in = replica_input(v, "n2", "n1", cache_of({physical("n1", {}), physical("n3", 0), physical("archiver", {})}));
  in.leader_positions = {{"n1", L(2000)}, {"n3", L(600)}};
  auto p = plan_cycle(in);
  EXPECT_EQ(p.drops, (drops{{"archiver", drop_reason::no_restart_lsn},
                            {"n1", drop_reason::no_restart_lsn},
                            {"n3", drop_reason::no_restart_lsn}}));
  EXPECT_TRUE(p.physical_creates.empty());
  EXPECT_TRUE(p.physical_advances.empty());
}

TEST(PlanPhysical, ExpectedActiveSlotWithoutRestartLsnIsLeftAlone) {
  auto v = view_of({node("n1"), node("n2")});
  auto p = plan_cycle(primary_input(v, "n1", cache_of({physical("n2", {})})));
  EXPECT_TRUE(p.drops.empty());
}

TEST(PlanPhysical, RetainedSlotIsNeitherAdvancedNorDroppedForXmin) {
  auto v = view_of({node("n1"), node("n2")});
  auto in = replica_input(v, "n2", "n1", cache_of({physical("n1", 100), physical("gone", 100, 9)}));
  in.retention.last_seen["gone"] = in.now;
  in.leader_positions = {{"gone", L(5000)}};
  auto p = plan_cycle(in);
  EXPECT_EQ(p.desired.at("gone").origin, slot_origin::retained);
  EXPECT_TRUE(p.drops.empty());
  EXPECT_TRUE(p.physical_advances.empty());
}

// ---- §2.3.14: logical slots on the primary ----------------------------------

TEST(PlanLogicalPrimary, MissingSlotIsCreatedInItsDatabase) {
  auto v = view_of({node("n1")}, {logical_slot("cdc", "app", "pgoutput"), logical_slot("audit", "hr", "wal2json")});
  auto p = plan_cycle(primary_input(v, "n1", cache_of({logical("cdc", "app", "pgoutput")})));
  EXPECT_EQ(p.logical_creates, (creates{{"audit", "hr", "wal2json", false}}));
  EXPECT_TRUE(p.logical_copies.empty());
  EXPECT_TRUE(p.logical_advances.empty());
}

TEST(PlanLogicalPrimary, FailoverFlagOnlyFromPostgres17) {
  auto v = view_of({node("n1")}, {logical_slot("native", "app", "pgoutput", true)});
  auto in = primary_input(v, "n1");
  in.server_major = 16;
  EXPECT_EQ(plan_cycle(in).logical_creates, (creates{{"native", "app", "pgoutput", false}}));
  in.server_major = 17;
  EXPECT_EQ(plan_cycle(in).logical_creates, (creates{{"native", "app", "pgoutput", true}}));
}

TEST(PlanLogicalPrimary, PromotingNodeCreatesNoLogicalSlotYet) {
  auto in = primary_input(pair_view(), "n1", cache_of({physical("n2", 100)}));
  in.in_recovery = true;
  auto p = plan_cycle(in);
  EXPECT_TRUE(p.logical_creates.empty());
  EXPECT_TRUE(p.logical_copies.empty());
  EXPECT_TRUE(p.logical_advances.empty());
}

// ---- §2.3.15: logical slots on a replica ------------------------------------

cycle_input replica_with_cdc(std::optional<std::uint64_t> local_flush, std::optional<std::uint64_t> leader_flush,
                             std::optional<std::uint64_t> replay) {
  slot_cache local{{"n1", physical("n1", 100)}};
  if (local_flush)
    local.emplace("cdc", logical("cdc", "app", "pgoutput", *local_flush));
  auto in = replica_input(pair_view(), "n2", "n1", local);
  if (leader_flush)
    in.leader_positions["cdc"] = L(*leader_flush);
  in.replay_lsn = replay ? std::optional<pg::lsn>(L(*replay)) : std::nullopt;
  return in;
}

TEST(PlanLogicalReplica, MissingSlotIsCopiedOnceTheLeaderHasIt) {
  EXPECT_EQ(plan_cycle(replica_with_cdc({}, 800, 900)).logical_copies, (names{"cdc"}));
  EXPECT_TRUE(plan_cycle(replica_with_cdc({}, {}, 900)).logical_copies.empty());
}

TEST(PlanLogicalReplica, AdvanceTargetIsMinOfLeaderAndReplay) {
  EXPECT_EQ(plan_cycle(replica_with_cdc(500, 800, 700)).logical_advances,
            (logical_advance_map{{"app", {{"cdc", L(700)}}}}));
  EXPECT_EQ(plan_cycle(replica_with_cdc(500, 800, 900)).logical_advances,
            (logical_advance_map{{"app", {{"cdc", L(800)}}}}));
}

TEST(PlanLogicalReplica, NeverBackwardsNorInPlace) {
  EXPECT_TRUE(plan_cycle(replica_with_cdc(500, 800, 200)).logical_advances.empty());
  EXPECT_TRUE(plan_cycle(replica_with_cdc(500, 500, 900)).logical_advances.empty());
  EXPECT_TRUE(plan_cycle(replica_with_cdc(500, {}, 900)).logical_advances.empty());
}

TEST(PlanLogicalReplica, UnknownReplayLsnSkipsTheAdvance_Quirk9) {
  auto p = plan_cycle(replica_with_cdc(500, 800, {}));
  EXPECT_TRUE(p.logical_advances.empty());
  EXPECT_TRUE(p.logical_copies.empty());
  EXPECT_TRUE(has_code(p.diagnostics, diagnostic_code::replay_lsn_unknown, "cdc"));
}

TEST(PlanLogicalReplica, AdvancesAreGroupedByDatabase) {
  auto v = view_of({node("n1"), node("n2")}, {logical_slot("a1", "app", "pgoutput"),
                                               logical_slot("a2", "app", "pgoutput"),
                                               logical_slot("h1", "hr", "pgoutput")});
  auto in = replica_input(v, "n2", "n1",
                          cache_of({physical("n1", 100), logical("a1", "app", "pgoutput", 10),
                                    logical("a2", "app", "pgoutput", 10), logical("h1", "hr", "pgoutput", 10)}));
  in.leader_positions = {{"a1", L(20)}, {"a2", L(30)}, {"h1", L(40)}};
  EXPECT_EQ(plan_cycle(in).logical_advances,
            (logical_advance_map{{"app", {{"a1", L(20)}, {"a2", L(30)}}}, {"hr", {{"h1", L(40)}}}}));
}

TEST(PlanLogicalReplica, DatabaseChangeDropsAndRecopies) {
  auto in = replica_with_cdc({}, 800, 900);
  in.local.emplace("cdc", logical("cdc", "old", "pgoutput", 500));
  auto p = plan_cycle(in);
  EXPECT_EQ(p.drops, (drops{{"cdc", drop_reason::value_changed}}));
  EXPECT_EQ(p.logical_copies, (names{"cdc"}));
  EXPECT_TRUE(p.logical_advances.empty());
}

TEST(PlanLogicalReplica, RecopyRequestReplacesTheAdvance) {
  auto in = replica_with_cdc(500, 800, 900);
  in.recopy_requests = {"cdc", "not_desired"};
  auto p = plan_cycle(in);
  EXPECT_EQ(p.logical_copies, (names{"cdc"}));
  EXPECT_TRUE(p.logical_advances.empty());
  EXPECT_EQ(p.logical_recopies, (names{"cdc"}));
  EXPECT_EQ(in.recopies.recent("cdc", in.now), 0) << "planned, not made: not counted";
}

// The copies of plan `p` stopped the server at in.now.
void copies_made(cycle_input& in, const plan& p) {
  for (auto& n : p.logical_recopies)
    in.recopies.record(n, in.now);
}

TEST(PlanLogicalReplica, FourthRecopyWithinAnHourIsRefused_Quirk5) {
  auto in = replica_with_cdc(500, 800, 900);
  in.recopy_requests = {"cdc"};
  for (int i = 0; i < 3; ++i) {
    auto p = plan_cycle(in);
    ASSERT_EQ(p.logical_copies, (names{"cdc"})) << i;
    copies_made(in, p);
    in.now += std::chrono::minutes(10);
  }
  auto p = plan_cycle(in);
  EXPECT_TRUE(p.logical_copies.empty());
  EXPECT_TRUE(has_code(p.diagnostics, diagnostic_code::recopy_limited, "cdc"));
  in.now += std::chrono::minutes(31); // the first re-copy left the window
  EXPECT_EQ(plan_cycle(in).logical_copies, (names{"cdc"}));
}

TEST(PlanLogicalReplica, FirstCopyIsNotCountedAsARecopy) {
  auto in = replica_with_cdc({}, 800, 900);
  for (int i = 0; i < 5; ++i) {
    auto p = plan_cycle(in);
    ASSERT_EQ(p.logical_copies, (names{"cdc"}));
    EXPECT_TRUE(p.logical_recopies.empty());
    copies_made(in, p);
  }
  EXPECT_EQ(in.recopies.recent("cdc", in.now), 0);
}

// A re-copy that never stopped the server (the leader was unreachable, the
// copy was dropped) is planned again and again: the limit is not used up.
TEST(PlanLogicalReplica, RecopiesThatNeverHappenedAreNotCounted) {
  auto in = replica_with_cdc(500, 800, 900);
  in.recopy_requests = {"cdc"};
  for (int i = 0; i < 10; ++i) {
    auto p = plan_cycle(in);
    ASSERT_EQ(p.logical_copies, (names{"cdc"})) << i;
    EXPECT_FALSE(has_code(p.diagnostics, diagnostic_code::recopy_limited, "cdc"));
    in.now += std::chrono::seconds(3);
  }
}

TEST(PlanLogicalReplica, LostLogicalSlotIsRecopiedInPlace) {
  auto in = replica_with_cdc(500, 800, 900);
  in.local.at("cdc").wal_status = "lost";
  auto p = plan_cycle(in);
  EXPECT_TRUE(p.drops.empty());
  EXPECT_EQ(p.logical_copies, (names{"cdc"}));
  EXPECT_TRUE(p.logical_advances.empty());
  EXPECT_EQ(p.logical_recopies, (names{"cdc"}));
  EXPECT_TRUE(has_code(p.diagnostics, diagnostic_code::copy_lost, "cdc"));
}

// patroni#3150: a copy invalidated again and again (16+ recovery conflicts) is
// re-copied 3 times within the hour, then kept as it is: not dropped (a
// dropped slot would come back as an uncounted first copy), not copied.
TEST(PlanLogicalReplica, LostLogicalSlotBeyondTheRecopyLimitIsKept) {
  auto in = replica_with_cdc(500, 800, 900);
  in.local.at("cdc").wal_status = "lost";
  for (int i = 0; i < 3; ++i) {
    auto p = plan_cycle(in);
    ASSERT_EQ(p.logical_copies, (names{"cdc"}));
    copies_made(in, p);
    in.now += std::chrono::minutes(1);
  }
  for (int i = 0; i < 3; ++i) {
    auto p = plan_cycle(in);
    EXPECT_TRUE(p.drops.empty());
    EXPECT_TRUE(p.logical_copies.empty());
    EXPECT_TRUE(has_code(p.diagnostics, diagnostic_code::recopy_limited, "cdc"));
    EXPECT_FALSE(has_code(p.diagnostics, diagnostic_code::copy_lost, "cdc")) << "not said to be copied";
    copies_made(in, p);
  }
}

TEST(PlanLogicalReplica, LostLogicalSlotWhilePausedIsKept) {
  auto in = replica_with_cdc(500, 800, 900);
  in.local.at("cdc").wal_status = "lost";
  in.paused = true;
  auto p = plan_cycle(in);
  EXPECT_TRUE(p.drops.empty());
  EXPECT_TRUE(p.logical_copies.empty());
  EXPECT_FALSE(has_code(p.diagnostics, diagnostic_code::copy_lost, "cdc"));
}

// ---- pause -------------------------------------------------------------------

TEST(PlanPause, NothingIsDroppedOrCopiedButCreatesAndAdvancesGoOn) {
  auto v = view_of({node("n1"), node("n2"), node("n3"), node("n4")},
                   {logical_slot("cdc", "app", "pgoutput"), logical_slot("new", "app", "pgoutput")});
  auto lost = physical("n4", 100);
  lost.wal_status = "lost";
  auto in = replica_input(v, "n2", "n1",
                          cache_of({physical("n1", 100, 7), physical("stray", 5), logical("cdc", "old", "pgoutput"),
                                    lost}));
  in.leader_positions = {{"cdc", L(800)}, {"new", L(800)}, {"n1", L(300)}};
  in.paused = true;
  auto p = plan_cycle(in);
  EXPECT_TRUE(p.drops.empty());
  EXPECT_TRUE(p.logical_copies.empty());
  EXPECT_EQ(p.physical_creates, (names{"n3"}));
  EXPECT_TRUE(p.logical_advances.empty()); // the changed cdc is neither advanced nor copied
  for (const auto* slot : {"n1", "stray", "cdc", "n4"})
    EXPECT_TRUE(has_code(p.diagnostics, diagnostic_code::not_dropped_paused, slot)) << slot;

  in.local = cache_of({physical("n1", 100), physical("n3", 100), physical("n4", 100), logical("cdc", "app", "pgoutput", 500)});
  p = plan_cycle(in);
  EXPECT_EQ(p.physical_advances, (advances{{"n1", L(300)}}));
  EXPECT_EQ(p.logical_advances, (logical_advance_map{{"app", {{"cdc", L(800)}}}}));
}

// ---- role safety ---------------------------------------------------------------

TEST(PlanRole, RoleMismatchDoesNothing) {
  auto in = replica_input(pair_view(), "n2", "n1", cache_of({physical("stray", 1), physical("n1", 1, 5)}));
  in.in_recovery = false;
  in.leader_positions = {{"cdc", L(800)}, {"n1", L(900)}};
  auto p = plan_cycle(in);
  EXPECT_EQ(p.role, node_role::role_mismatch);
  EXPECT_TRUE(p.drops.empty());
  EXPECT_TRUE(p.physical_creates.empty());
  EXPECT_TRUE(p.physical_advances.empty());
  EXPECT_TRUE(p.logical_copies.empty());
  EXPECT_EQ(codes_of(p.diagnostics), (std::vector{diagnostic_code::role_mismatch}));
}

TEST(PlanRole, PromotingNodeNeverCopies) {
  auto in = primary_input(pair_view(), "n1", cache_of({physical("n2", 100)}));
  in.in_recovery = true;
  in.leader_positions = {{"cdc", L(800)}};
  auto p = plan_cycle(in);
  EXPECT_TRUE(p.logical_copies.empty());
  EXPECT_EQ(names_of(p.desired), (names{"cdc", "n2"}));
  EXPECT_EQ(p.desired.at("n2").expected_active, true); // the primary's desired set
}

// ---- version gates (§2.6) --------------------------------------------------------

TEST(PlanVersion, OutsideTwelveToEighteenNothingIsDone) {
  for (int major : {11, 19}) {
    auto in = primary_input(pair_view(), "n1", cache_of({physical("stray", 1)}));
    in.server_major = major;
    auto p = plan_cycle(in);
    EXPECT_TRUE(p.drops.empty()) << major;
    EXPECT_TRUE(p.physical_creates.empty()) << major;
    EXPECT_EQ(codes_of(p.diagnostics), (std::vector{diagnostic_code::unsupported_version})) << major;
  }
}

local_slot failover_slot(const std::string& name, bool synced) {
  auto s = logical(name, "app", "pgoutput");
  s.failover = true;
  s.synced = synced;
  return s;
}

TEST(PlanVersion, FailoverLogicalSlotsAreUsersOnPostgres17Primary) {
  auto in = primary_input(pair_view(), "n1",
                          cache_of({physical("n2", 100), logical("cdc", "app", "pgoutput"),
                                    failover_slot("native", false)}));
  in.server_major = 17;
  EXPECT_TRUE(plan_cycle(in).drops.empty());
  in.server_major = 16; // the flag means nothing before 17: an unknown slot
  EXPECT_EQ(plan_cycle(in).drops, (drops{unknown("native")}));
}

TEST(PlanVersion, Postgres17StandbyDropsFailoverNotSyncedSlotsOfAnotherLeader) {
  auto in = replica_input(pair_view(), "n2", "n1",
                          cache_of({physical("n1", 100), failover_slot("old_native", false),
                                    failover_slot("synced_native", true)}));
  in.server_major = 17;
  auto p = plan_cycle(in);
  EXPECT_EQ(p.drops, (drops{{"old_native", drop_reason::failover_not_synced}}));
  in.server_major = 16;
  EXPECT_EQ(plan_cycle(in).drops, (drops{unknown("old_native"), unknown("synced_native")}));
  in.server_major = 17;
  in.leader.reset(); // not following anyone: keep it
  EXPECT_TRUE(plan_cycle(in).drops.empty());
}

TEST(PlanVersion, Postgres17FailoverPermanentSlotIsLeftToSlotsyncOnReplicas) {
  auto v = view_of({node("n1"), node("n2")}, {logical_slot("native", "app", "pgoutput", true)});
  auto in = replica_input(v, "n2", "n1", cache_of({physical("n1", 100)}));
  in.leader_positions = {{"native", L(800)}};
  in.server_major = 17;
  EXPECT_TRUE(plan_cycle(in).logical_copies.empty());
  in.server_major = 16;
  EXPECT_EQ(plan_cycle(in).logical_copies, (names{"native"}));
}

// ---- retention through the plan (§3.10, §3.13 rule 7) ---------------------------

TEST(PlanRetention, AbsentMemberKeepsItsSlotForTheTtlThenItIsDropped) {
  using std::chrono::minutes;
  auto full = view_of({node("n1"), node("n2"), node("n3")});
  full.member_slots_ttl = minutes(30);
  auto without_n3 = full;
  without_n3.members.erase("n3");
  auto local = cache_of({physical("n2", 100), physical("n3", 100)});

  auto in = primary_input(full, "n1", local);
  in.now = time_point{std::chrono::hours(10)};
  auto p = plan_cycle(in);
  EXPECT_TRUE(p.drops.empty());

  in.view = without_n3;
  in.retention = p.retention;
  in.now += minutes(20);
  p = plan_cycle(in);
  EXPECT_TRUE(p.drops.empty());
  EXPECT_EQ(p.desired.at("n3").origin, slot_origin::retained);

  // back within the TTL: a full TTL again from now
  in.view = full;
  in.retention = p.retention;
  in.now += minutes(5);
  p = plan_cycle(in);
  EXPECT_EQ(p.desired.at("n3").origin, slot_origin::member);

  in.view = without_n3;
  in.retention = p.retention;
  in.now += minutes(29);
  EXPECT_TRUE(plan_cycle(in).drops.empty());
  in.now += minutes(1);
  p = plan_cycle(in);
  EXPECT_EQ(p.drops, (drops{unknown("n3")}));
  EXPECT_TRUE(has_code(p.diagnostics, diagnostic_code::member_slot_expired, "n3"));
}

TEST(PlanRetention, MemberComingBackAfterTheTtlGetsANewSlot) {
  using std::chrono::minutes;
  auto full = view_of({node("n1"), node("n2"), node("n3")});
  auto without_n3 = full;
  without_n3.members.erase("n3");
  auto in = primary_input(full, "n1", cache_of({physical("n2", 100), physical("n3", 100)}));
  auto p = plan_cycle(in);
  in.view = without_n3;
  in.retention = p.retention;
  in.now += minutes(31);
  p = plan_cycle(in);
  EXPECT_EQ(p.drops, (drops{unknown("n3")}));
  in.view = full;
  in.retention = p.retention;
  in.local.erase("n3");
  p = plan_cycle(in);
  EXPECT_EQ(p.physical_creates, (names{"n3"}));
}

} // namespace
} // namespace slotd::model
