#include "pg/model/readiness.hpp"

#include <gtest/gtest.h>

#include "model_fixtures.hpp"

namespace slotd::model {
namespace {
using namespace testing;

readiness_queue queue_of(std::map<std::string, std::optional<pg::xid>> pending) { return {std::move(pending)}; }

// docs/slot-rules.md §1.3 step 4.
TEST(ReadinessQueue, RebuiltFromLocalLogicalSlots) {
  auto native = logical("native", "app", "pgoutput");
  native.failover = true;
  auto local = cache_of({logical("ls", "a", "b"), logical("skip", "a", "wal2json"), native, physical("p", 1)});
  std::vector<ignore_matcher> ignore{{{}, {}, {}, std::string("wal2json")}};
  EXPECT_EQ(rebuild_readiness_queue(local, ignore, 17), queue_of({{"ls", std::nullopt}}));
  // before 17 the failover flag means nothing
  EXPECT_EQ(rebuild_readiness_queue(local, ignore, 16), queue_of({{"ls", std::nullopt}, {"native", std::nullopt}}));
}

TEST(ReadinessQueue, LookupNamesAreUncapturedSlotsPlusMyPhysicalSlot) {
  auto q = queue_of({{"a", std::nullopt}, {"b", X(10)}, {"c", std::nullopt}});
  EXPECT_EQ(readiness_lookup_names(q, "n2"), (names{"a", "c", "n2"}));
}

// §2.3.20 with Q1: modulo 2^32, NULL = not ready.
TEST(IsSafeAfterFailover, OrderedCatalogXmins) {
  EXPECT_TRUE(is_safe_after_failover(X(100), X(100), X(100)));
  EXPECT_TRUE(is_safe_after_failover(X(100), X(150), X(200)));
  EXPECT_FALSE(is_safe_after_failover(X(100), X(99), X(200)));  // physical not caught up
  EXPECT_FALSE(is_safe_after_failover(X(100), X(201), X(200))); // physical ahead of local copy
  // digit counts differ: string comparison would get this wrong
  EXPECT_TRUE(is_safe_after_failover(X(99999), X(100000), X(100001)));
}

TEST(IsSafeAfterFailover, AcrossWraparoundAt2To32) {
  EXPECT_TRUE(is_safe_after_failover(X(4294967000u), X(4294967295u), X(10)));
  EXPECT_TRUE(is_safe_after_failover(X(4294967000u), X(5), X(10)));
  EXPECT_FALSE(is_safe_after_failover(X(5), X(4294967000u), X(10)));
}

TEST(IsSafeAfterFailover, NullMeansNotReady) {
  EXPECT_FALSE(is_safe_after_failover(std::nullopt, X(5), X(10)));
  EXPECT_FALSE(is_safe_after_failover(X(5), std::nullopt, X(10)));
  EXPECT_FALSE(is_safe_after_failover(X(5), X(6), std::nullopt));
}

TEST(CheckReadiness, CapturesPrimaryXminThenBecomesReady) {
  auto local = cache_of({logical("ls", "a", "b", 500, 100)});
  auto q = queue_of({{"ls", std::nullopt}});
  // first check: primary logical xmin 90, physical slot 80: captured, not ready
  auto r1 = check_readiness(q, local, leader_catalog_xmins{{"ls", X(90)}, {"n2", X(80)}}, std::string("n2"));
  EXPECT_EQ(r1.queue, queue_of({{"ls", X(90)}}));
  EXPECT_TRUE(r1.became_ready.empty());
  // physical slot catches up to 95 (<= local 100): ready
  auto r2 = check_readiness(r1.queue, local, leader_catalog_xmins{{"n2", X(95)}}, std::string("n2"));
  EXPECT_TRUE(r2.queue.pending.empty());
  EXPECT_EQ(r2.became_ready, (names{"ls"}));
  EXPECT_TRUE(has_code(r2.diagnostics, diagnostic_code::slot_ready, "ls"));
}

TEST(CheckReadiness, ReadyAcrossXidWraparound) {
  auto local = cache_of({logical("ls", "a", "b", 500, 20)});
  auto q = queue_of({{"ls", X(4294967200u)}});
  auto r = check_readiness(q, local, leader_catalog_xmins{{"n2", X(4294967290u)}}, std::string("n2"));
  EXPECT_EQ(r.became_ready, (names{"ls"}));
}

// §6.15: NULL physical catalog_xmin → not ready, hot_standby_feedback to check.
TEST(CheckReadiness, PhysicalSlotWithoutCatalogXminAsksForFeedbackCheck) {
  auto local = cache_of({logical("ls", "a", "b")});
  auto q = queue_of({{"ls", std::nullopt}});
  auto r = check_readiness(q, local, leader_catalog_xmins{{"ls", X(90)}, {"n2", std::nullopt}}, std::string("n2"));
  EXPECT_TRUE(r.check_hot_standby_feedback);
  EXPECT_EQ(r.queue, q); // nothing captured
}

// §6.15: leader returns only the logical slot → warning, not ready.
TEST(CheckReadiness, MissingPhysicalSlotOnPrimaryWarns) {
  auto local = cache_of({logical("ls", "a", "b")});
  auto q = queue_of({{"ls", std::nullopt}});
  auto r = check_readiness(q, local, leader_catalog_xmins{{"ls", X(90)}}, std::string("n2"));
  EXPECT_FALSE(r.check_hot_standby_feedback);
  EXPECT_TRUE(has_code(r.diagnostics, diagnostic_code::primary_slot_missing, "n2"));
  EXPECT_EQ(r.queue, q);
  // no streaming path (nostream): the same
  auto none = check_readiness(q, local, leader_catalog_xmins{{"ls", X(90)}}, std::nullopt);
  EXPECT_EQ(none.queue, q);
}

// A NULL local catalog_xmin keeps the slot pending (no exception, Q1).
TEST(CheckReadiness, NullLocalCatalogXminStaysPending) {
  auto local = cache_of({logical("ls", "a", "b", 500, std::nullopt)});
  auto q = queue_of({{"ls", X(90)}});
  auto r = check_readiness(q, local, leader_catalog_xmins{{"n2", X(95)}}, std::string("n2"));
  EXPECT_EQ(r.queue, q);
}

TEST(CheckReadiness, WithoutLeaderOnlyPrunesVanishedSlots) {
  auto local = cache_of({logical("ls", "a", "b")});
  auto q = queue_of({{"ls", X(1)}, {"gone", std::nullopt}});
  auto r = check_readiness(q, local, std::nullopt, std::string("n2"));
  EXPECT_EQ(r.queue, queue_of({{"ls", X(1)}}));
  EXPECT_TRUE(r.became_ready.empty());
}

// What /readiness and the promote reply say, slot by slot: a desired slot
// that is missing or lost here is never ready (the promote reply used to
// list only the local slots, and missed these).
desired_set desired_logical(std::initializer_list<std::pair<std::string, bool>> slots) {
  desired_set d;
  for (auto& [name, failover] : slots) {
    desired_slot x;
    x.name = name;
    x.type = slot_type::logical;
    x.database = "app";
    x.plugin = "pgoutput";
    x.failover = failover;
    d[name] = x;
  }
  return d;
}

TEST(JudgeDesiredLogicalSlots, MissingLostPendingAndReady) {
  auto lost = logical("lost", "app", "pgoutput");
  lost.wal_status = "lost";
  auto local = cache_of({logical("ok", "app", "pgoutput"), logical("unproven", "app", "pgoutput"), lost});
  auto desired = desired_logical({{"ok", false}, {"unproven", false}, {"lost", false}, {"missing", false}});
  auto v = judge_desired_logical_slots(desired, local, queue_of({{"unproven", std::nullopt}}), 15, {}, {});
  ASSERT_EQ(v.size(), 4u);
  std::map<std::string, slot_verdict> by;
  for (auto& x : v)
    by[x.name] = x;
  EXPECT_TRUE(by["ok"].ready);
  EXPECT_TRUE(by["ok"].reason.empty());
  EXPECT_FALSE(by["missing"].ready);
  EXPECT_EQ(by["missing"].reason.rfind("missing", 0), 0u);
  EXPECT_FALSE(by["lost"].ready);
  EXPECT_EQ(by["lost"].reason.rfind("lost", 0), 0u);
  EXPECT_FALSE(by["unproven"].ready);
  EXPECT_EQ(by["unproven"].reason.rfind("not proven safe", 0), 0u);
  // 12 has no wal_status: a slot is never "lost" there
  auto v12 = judge_desired_logical_slots(desired_logical({{"lost", false}}), local, queue_of({}), 12, {}, {});
  EXPECT_TRUE(v12.at(0).ready);
}

TEST(JudgeDesiredLogicalSlots, ACopyAheadOfTheLeadersSlotIsNotReadyUntilTheLeaderPassesIt) {
  auto local = cache_of({logical("cdc", "app", "pgoutput", 700)});
  auto desired = desired_logical({{"cdc", false}});
  auto v = judge_desired_logical_slots(desired, local, queue_of({}), 16, {}, {{"cdc", pg::lsn{600}}});
  EXPECT_FALSE(v.at(0).ready);
  EXPECT_EQ(v.at(0).reason.rfind("ahead of the leader's slot", 0), 0u) << v.at(0).reason;
  EXPECT_TRUE(judge_desired_logical_slots(desired, local, queue_of({}), 16, {}, {{"cdc", pg::lsn{700}}}).at(0).ready);
  EXPECT_TRUE(judge_desired_logical_slots(desired, local, queue_of({}), 16, {}, {{"cdc", pg::lsn{900}}}).at(0).ready);
  // Still being created on the standby: no position yet.
  auto creating = cache_of({logical("cdc", "app", "pgoutput", std::nullopt)});
  EXPECT_EQ(judge_desired_logical_slots(desired, creating, queue_of({}), 16, {}, {}).at(0).reason,
            "being created: no confirmed_flush_lsn yet");
  // The leader's position not known: judged by the rest.
  EXPECT_TRUE(judge_desired_logical_slots(desired, local, queue_of({}), 16, {}, {}).at(0).ready);
  EXPECT_TRUE(judge_desired_logical_slots(desired, local, queue_of({}), 16, {}, {{"other", pg::lsn{1}}}).at(0).ready);
}

TEST(JudgeDesiredLogicalSlots, FailoverSlotsOn17AreJudgedBySyncState) {
  auto desired = desired_logical({{"synced", true}, {"temp", true}, {"absent", true}});
  std::vector<failover_slot_state> f{{"synced", true, false, std::nullopt}, {"temp", true, true, std::nullopt}};
  auto v = judge_desired_logical_slots(desired, {}, queue_of({}), 17, f, {});
  std::map<std::string, bool> ready;
  for (auto& x : v)
    ready[x.name] = x.ready;
  EXPECT_TRUE(ready["synced"]);
  EXPECT_FALSE(ready["temp"]);
  EXPECT_FALSE(ready["absent"]);
  // before 17 the flag means nothing: judged as copies (none here: missing)
  EXPECT_FALSE(judge_desired_logical_slots(desired, {}, queue_of({}), 16, f, {}).at(0).ready);
}

TEST(JudgeNodeReadiness, TheLeadIsReadyAReplicaNeedsItsLeaderAndEverySlot) {
  node_readiness_input in;
  in.holds_lead = true;
  EXPECT_TRUE(judge_node_readiness(in).ready) << "a primary is ready before it has seen anything";
  in = {};
  EXPECT_FALSE(judge_node_readiness(in).ready);
  EXPECT_EQ(judge_node_readiness(in).reason, "the local server has not been seen yet");
  in.local_seen = true;
  EXPECT_EQ(judge_node_readiness(in).reason, "no role yet");
  in.role_known = true;
  in.told_replica = true;
  in.slots = {{"cdc", true, ""}};
  EXPECT_FALSE(judge_node_readiness(in).ready);
  EXPECT_EQ(judge_node_readiness(in).reason.rfind("the leader is not known yet", 0), 0u);
  in.has_leader = true;
  EXPECT_FALSE(judge_node_readiness(in).ready) << "not planned with this leader yet";
  in.planned_with_leader = true;
  auto ok = judge_node_readiness(in);
  EXPECT_TRUE(ok.ready);
  EXPECT_TRUE(ok.reason.empty());
  in.slots.push_back({"td", false, "missing here"});
  auto r = judge_node_readiness(in);
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.unready, std::vector<std::string>{"td"});
  EXPECT_EQ(r.reasons.at("td"), "missing here");
  EXPECT_TRUE(r.reason.empty()) << "the node can say; a slot is not ready";
}

// 17+: a replica its leader's synchronized_standby_slots does not protect
// is not ready, whatever its slots say; a primary is.
TEST(JudgeNodeReadiness, AReplicaLeftOutOfSynchronizedStandbySlotsIsNotReady) {
  node_readiness_input in;
  in.local_seen = in.role_known = in.told_replica = in.has_leader = in.planned_with_leader = true;
  in.slots = {{"cdc", true, ""}};
  ASSERT_TRUE(judge_node_readiness(in).ready);
  in.standby_protection_gap = "not in synchronized_standby_slots: why";
  auto r = judge_node_readiness(in);
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason, "not in synchronized_standby_slots: why");
  EXPECT_TRUE(r.unready.empty());
  in.holds_lead = true;
  EXPECT_TRUE(judge_node_readiness(in).ready);
}

} // namespace
} // namespace slotd::model
