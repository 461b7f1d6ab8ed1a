// Promotion candidates (pg/model/candidate.hpp): lag in bytes and seconds
// from the leader's sampled positions, one node's verdict, the ranking.
#include <gtest/gtest.h>

#include "model_fixtures.hpp"
#include "pg/model/candidate.hpp"

namespace slotd::model {
namespace {

using namespace testing;
using namespace std::chrono_literals;

sample_clock::time_point T(int seconds) { return sample_clock::time_point{} + std::chrono::seconds(1000 + seconds); }

slot_cache leader_at(std::uint64_t cdc, std::optional<std::uint64_t> audit = {}) {
  std::vector<local_slot> rows{logical("cdc", "app", "pgoutput", cdc, 100)};
  if (audit)
    rows.push_back(logical("audit", "app", "test_decoding", *audit, 100));
  rows.push_back(physical("node2", 5000));
  return make_slot_cache(rows);
}

TEST(LagBehind, ACopyAtOrPastTheLeaderIsNotBehind) {
  position_history h;
  record_leader_positions(h, "node1", leader_at(500), T(0));
  EXPECT_EQ(lag_behind(h, "cdc", L(500)), lag{});
  EXPECT_EQ(lag_behind(h, "cdc", L(600)), lag{});
}

TEST(LagBehind, NoHistoryOfTheSlotIsNoFigure) {
  position_history h;
  EXPECT_EQ(lag_behind(h, "cdc", L(500)), std::nullopt);
  record_leader_positions(h, "node1", leader_at(500), T(0));
  EXPECT_EQ(lag_behind(h, "audit", L(500)), std::nullopt);
  EXPECT_EQ(lag_behind(h, "node2", L(500)), std::nullopt) << "physical slots have no history";
}

TEST(LagBehind, SecondsSinceTheLeaderWasLastSeenAtOrBelowTheCopy) {
  position_history h;
  record_leader_positions(h, "node1", leader_at(100), T(0));
  record_leader_positions(h, "node1", leader_at(100), T(2)); // still at 100 two seconds later
  record_leader_positions(h, "node1", leader_at(300), T(3));
  record_leader_positions(h, "node1", leader_at(700), T(6));
  record_leader_positions(h, "node1", leader_at(700), T(10));
  auto at_100 = lag_behind(h, "cdc", L(100));
  ASSERT_TRUE(at_100);
  EXPECT_EQ(at_100->bytes, 600u);
  EXPECT_DOUBLE_EQ(at_100->seconds, 8.0) << "last seen at 100 at T+2, newest sample T+10";
  EXPECT_FALSE(at_100->at_least);
  auto between = lag_behind(h, "cdc", L(400)); // the leader passed 400 between T+3 and T+6
  ASSERT_TRUE(between);
  EXPECT_EQ(between->bytes, 300u);
  EXPECT_DOUBLE_EQ(between->seconds, 7.0);
}

TEST(LagBehind, ACopyOlderThanTheHistoryIsAtLeastItsSpan) {
  position_history h;
  record_leader_positions(h, "node1", leader_at(300), T(0));
  record_leader_positions(h, "node1", leader_at(700), T(4));
  auto old = lag_behind(h, "cdc", L(100));
  ASSERT_TRUE(old);
  EXPECT_EQ(old->bytes, 600u);
  EXPECT_DOUBLE_EQ(old->seconds, 4.0);
  EXPECT_TRUE(old->at_least);
}

// A sample older than the newest recorded (the wall clock stepped back)
// starts the history again: no time in it is in the future.
TEST(LagBehind, AClockSteppedBackStartsTheHistoryAgain) {
  position_history h;
  record_leader_positions(h, "node1", leader_at(100), T(0));
  record_leader_positions(h, "node1", leader_at(300), T(10));
  record_leader_positions(h, "node1", leader_at(300), T(5));
  ASSERT_EQ(h.slots["cdc"].size(), 1u);
  EXPECT_EQ(h.slots["cdc"].front(), (position_seen{L(300), T(5), T(5)}));
  EXPECT_EQ(h.newest, T(5));
}

TEST(LagBehind, ADeadLeaderAnswersAsOfItsLastSample) {
  position_history h;
  record_leader_positions(h, "node1", leader_at(100), T(0));
  record_leader_positions(h, "node1", leader_at(200), T(1));
  // No samples after T+1: the figures do not grow with the wall clock.
  auto l = lag_behind(h, "cdc", L(100));
  ASSERT_TRUE(l);
  EXPECT_DOUBLE_EQ(l->seconds, 1.0);
  EXPECT_EQ(h.newest, T(1));
}

TEST(RecordLeaderPositions, ASampleOfAnotherLeaderStartsTheHistoryAgain) {
  position_history h;
  record_leader_positions(h, "node1", leader_at(100), T(0));
  record_leader_positions(h, "node1", leader_at(900), T(5));
  record_leader_positions(h, "node3", leader_at(950), T(6));
  EXPECT_EQ(h.leader, "node3");
  ASSERT_EQ(h.slots["cdc"].size(), 1u);
  auto l = lag_behind(h, "cdc", L(100));
  ASSERT_TRUE(l);
  EXPECT_TRUE(l->at_least) << "nothing of node1's history is taken for node3's";
  EXPECT_DOUBLE_EQ(l->seconds, 0.0);
}

TEST(RecordLeaderPositions, ForgetsSlotsTheLeaderNoLongerHasAndRestartsOnAStepBack) {
  position_history h;
  record_leader_positions(h, "node1", leader_at(500, 400), T(0));
  EXPECT_TRUE(h.slots.contains("audit"));
  record_leader_positions(h, "node1", leader_at(600), T(1));
  EXPECT_FALSE(h.slots.contains("audit"));
  record_leader_positions(h, "node1", leader_at(200), T(2)); // a new leader, its slot behind
  ASSERT_EQ(h.slots["cdc"].size(), 1u);
  EXPECT_EQ(h.slots["cdc"].front().lsn, L(200));
}

TEST(RecordLeaderPositions, StaysWithinItsLimitAndNeverUnderestimates) {
  position_history h;
  for (int i = 0; i < 100; ++i)
    record_leader_positions(h, "node1", leader_at(100 + 10 * static_cast<std::uint64_t>(i)), T(i), 16);
  EXPECT_LE(h.slots["cdc"].size(), 16u);
  EXPECT_EQ(h.slots["cdc"].back().lsn, L(1090)) << "the newest position always stays";
  EXPECT_EQ(h.slots["cdc"].front().lsn, L(100)) << "the oldest stays too: the span is kept";
  // The leader was at 500 at T+40; thinned, the answer may be older, never newer.
  auto l = lag_behind(h, "cdc", L(500));
  ASSERT_TRUE(l);
  EXPECT_GE(l->seconds, 59.0);
  EXPECT_EQ(l->bytes, 590u);
}

candidate_input ready_replica() {
  candidate_input in;
  in.local_reachable = true;
  in.server_major = 15;
  in.readiness.ready = true;
  in.verdicts = {{"cdc", true, ""}};
  in.local = make_slot_cache({logical("cdc", "app", "pgoutput", 400, 100)});
  in.leader_slots = leader_at(500);
  return in;
}

TEST(JudgeCandidate, AReadyReplicaLosesNothingAndShowsHowFarBehindItIs) {
  auto in = ready_replica();
  auto v = judge_candidate(in);
  EXPECT_TRUE(v.loses_nothing);
  EXPECT_TRUE(v.reasons.empty());
  ASSERT_EQ(v.slots.size(), 1u);
  EXPECT_TRUE(v.slots[0].present);
  EXPECT_EQ(v.slots[0].lsn, L(400));
  EXPECT_EQ(v.slots[0].leader_lsn, L(500));
  ASSERT_TRUE(v.slots[0].behind) << "bytes from the last sample even without a history";
  EXPECT_EQ(v.slots[0].behind->bytes, 100u);
  EXPECT_EQ(v.slots_behind, 1u);
  EXPECT_EQ(v.bytes_behind, 100u);
}

TEST(JudgeCandidate, SecondsComeFromTheHistory) {
  auto in = ready_replica();
  position_history h;
  record_leader_positions(h, "node1", leader_at(400), T(0));
  record_leader_positions(h, "node1", leader_at(500), T(3));
  in.history = &h;
  auto v = judge_candidate(in);
  ASSERT_TRUE(v.slots[0].behind);
  EXPECT_DOUBLE_EQ(v.slots[0].behind->seconds, 3.0);
}

TEST(JudgeCandidate, AnUnreadyOrMissingCopyLosesAndSaysWhy) {
  auto in = ready_replica();
  in.readiness.ready = false;
  in.readiness.unready = {"cdc", "audit"};
  in.readiness.reasons = {{"cdc", "not proven safe yet"}, {"audit", "missing"}};
  in.verdicts = {{"audit", false, "missing"}, {"cdc", false, "not proven safe yet"}};
  auto v = judge_candidate(in);
  EXPECT_FALSE(v.loses_nothing);
  ASSERT_EQ(v.reasons.size(), 2u);
  EXPECT_EQ(v.reasons[0], "slot cdc is not ready: not proven safe yet");
  EXPECT_FALSE(v.slots[0].present);
  EXPECT_EQ(v.slots[0].reason, "missing");
}

TEST(JudgeCandidate, ALostCopyIsShownAsLost) {
  auto in = ready_replica();
  in.local["cdc"].wal_status = "lost";
  in.readiness.ready = false;
  in.readiness.unready = {"cdc"};
  auto v = judge_candidate(in);
  EXPECT_TRUE(v.slots[0].lost);
  EXPECT_FALSE(v.loses_nothing);
}

TEST(JudgeCandidate, ACopyHoldingTheServerOrAnUnreachableServerLoses) {
  for (auto flag : {&candidate_input::copying, &candidate_input::restarting, &candidate_input::server_down}) {
    auto in = ready_replica();
    in.*flag = true;
    auto v = judge_candidate(in);
    EXPECT_FALSE(v.loses_nothing);
    EXPECT_EQ(v.reasons.size(), 1u);
  }
  auto in = ready_replica();
  in.local_reachable = false;
  EXPECT_FALSE(judge_candidate(in).loses_nothing);
}

TEST(JudgeCandidate, AServerOutOfRecoveryIsNoCandidate) {
  auto in = ready_replica();
  in.in_recovery = false; // told replica, but its server is a primary (not fenced)
  auto v = judge_candidate(in);
  EXPECT_FALSE(v.loses_nothing);
  ASSERT_EQ(v.reasons.size(), 1u);
  EXPECT_NE(v.reasons[0].find("not in recovery"), std::string::npos);
}

TEST(JudgeCandidate, ANodeThatCannotSayLosesWithTheReason) {
  auto in = ready_replica();
  in.readiness.ready = false;
  in.readiness.reason = "no leader known";
  auto v = judge_candidate(in);
  EXPECT_FALSE(v.loses_nothing);
  EXPECT_EQ(v.reasons, std::vector<std::string>{"no leader known"});
}

TEST(JudgeCandidate, TheLeaderLosesNothing) {
  candidate_input in;
  in.holds_lead = true;
  EXPECT_TRUE(judge_candidate(in).loses_nothing);
}

TEST(JudgeCandidate, FailoverSlotsShowTheirSyncState) {
  auto in = ready_replica();
  in.server_major = 17;
  in.local.clear(); // synced slots are hidden from the visible set
  in.failover_slots = {{"cdc", true, false, std::nullopt}};
  auto v = judge_candidate(in);
  EXPECT_TRUE(v.slots[0].present);
  EXPECT_EQ(v.slots[0].synced, true);
  EXPECT_EQ(v.slots[0].temporary, false);
}

candidate_summary member_(std::string name, bool loses_nothing, std::uint64_t received, std::size_t behind = 0,
                          std::uint64_t bytes = 0) {
  candidate_summary c;
  c.name = std::move(name);
  c.reachable = true;
  c.loses_nothing = loses_nothing;
  c.receive_lsn = L(received);
  c.slots_behind = behind;
  c.bytes_behind = bytes;
  return c;
}

std::vector<std::string> names(const std::vector<candidate_summary>& v) {
  std::vector<std::string> out;
  for (auto& c : v)
    out.push_back(c.name);
  return out;
}

TEST(RankCandidates, LosesNothingFirstThenTheHighestReceivedLsn) {
  auto ranked = rank_candidates({member_("a", false, 900), member_("b", true, 500), member_("c", true, 700)});
  EXPECT_EQ(names(ranked), (std::vector<std::string>{"c", "b", "a"}));
}

TEST(RankCandidates, ThenFewestSlotsAndBytesBehindThenNotNofailoverThenTheName) {
  auto behind2 = member_("a", true, 500, 2, 10);
  auto behind1 = member_("b", true, 500, 1, 900);
  auto behind1_less = member_("c", true, 500, 1, 100);
  auto nofailover = member_("d", true, 500, 0, 0);
  nofailover.nofailover = true;
  auto plain_z = member_("z", true, 500, 0, 0);
  auto plain_e = member_("e", true, 500, 0, 0);
  auto ranked = rank_candidates({behind2, behind1, behind1_less, nofailover, plain_z, plain_e});
  EXPECT_EQ(names(ranked), (std::vector<std::string>{"e", "z", "d", "c", "b", "a"}));
}

TEST(RankCandidates, NoReceivedLsnRanksBelowAnyAndTheLeaderAndTheSilentComeLast) {
  auto none = member_("a", true, 0);
  none.receive_lsn.reset();
  candidate_summary silent{"b", false, "connection refused"};
  auto leader = member_("c", true, 900);
  leader.leader = true;
  auto ranked = rank_candidates({silent, none, leader, member_("d", true, 1)});
  EXPECT_EQ(names(ranked), (std::vector<std::string>{"d", "a", "c", "b"}));
  EXPECT_EQ(ranked.size(), 4u) << "nobody is dropped";
}

TEST(IsSafeChoice, OnlyAReachableReplicaThatLosesNothingAndMayFailOver) {
  EXPECT_TRUE(is_safe_choice(member_("a", true, 1)));
  EXPECT_FALSE(is_safe_choice(member_("a", false, 1)));
  auto nf = member_("a", true, 1);
  nf.nofailover = true;
  EXPECT_FALSE(is_safe_choice(nf));
  auto leader = member_("a", true, 1);
  leader.leader = true;
  EXPECT_FALSE(is_safe_choice(leader));
  candidate_summary silent{"b", false, "refused"};
  EXPECT_FALSE(is_safe_choice(silent));
}

} // namespace
} // namespace slotd::model

// The handover at a switchover (pg/model/promotion.hpp).
#include "pg/model/promotion.hpp"

namespace slotd::model {
namespace {

using namespace testing;

TEST(MergeFinalPositions, TheLiveSampleCountsWhereItIsHigherThanTheFile) {
  final_positions files{{"cdc", {L(500), L(400), false}}, {"audit", {L(700), L(600), false}}};
  auto sample = make_slot_cache({logical("cdc", "app", "pgoutput", 550, 100),
                                 logical("audit", "app", "test_decoding", 650, 100)});
  auto merged = merge_final_positions(files, sample);
  EXPECT_EQ(merged.at("cdc"), (final_position{L(550), L(400), true})) << "a walsender's position 12-16 do not write";
  EXPECT_EQ(merged.at("audit"), (final_position{L(700), L(600), false})) << "the file is newer than the sample";
  EXPECT_EQ(merge_final_positions(files, {}), files);
}

TEST(ApplyHandover, HandedPositionsRaiseTheSampledOnesAndSayWhichCameFromWhere) {
  auto local = make_slot_cache({logical("cdc", "app", "pgoutput", 300, 100),
                                logical("audit", "app", "test_decoding", 300, 100),
                                logical("other", "app", "test_decoding", 300, 100), physical("node3", 300)});
  auto sampled = make_slot_cache({logical("cdc", "app", "pgoutput", 400, 100),
                                  logical("audit", "app", "test_decoding", 900, 100),
                                  logical("other", "app", "test_decoding", 450, 100)});
  std::map<std::string, pg::lsn> handed{{"cdc", L(800)}, {"audit", L(850)}};
  auto t = apply_handover(local, sampled, handed);
  ASSERT_TRUE(t.leader_slots);
  EXPECT_EQ(t.leader_slots->at("cdc").confirmed_flush_lsn, L(800));
  EXPECT_EQ(t.leader_slots->at("audit").confirmed_flush_lsn, L(900)) << "never lowered";
  EXPECT_EQ(t.leader_slots->at("other").confirmed_flush_lsn, L(450));
  EXPECT_EQ(t.handed_over, (std::vector<std::string>{"audit", "cdc"}));
  EXPECT_EQ(t.from_samples, (std::vector<std::string>{"other"}));
  // Through the final-advance rule: capped at replay.
  auto targets = plan_final_advance(local, t.leader_slots, L(820));
  EXPECT_EQ(targets["app"]["cdc"], L(800));
  EXPECT_EQ(targets["app"]["audit"], L(820));
}

TEST(ApplyHandover, WithoutSamplesTheHandedPositionsAloneCountAndWithoutAHandoverNothingChanges) {
  auto local = make_slot_cache({logical("cdc", "app", "pgoutput", 300, 100)});
  std::map<std::string, pg::lsn> handed{{"cdc", L(800)}};
  auto t = apply_handover(local, std::nullopt, handed);
  ASSERT_TRUE(t.leader_slots);
  EXPECT_EQ(t.leader_slots->at("cdc").confirmed_flush_lsn, L(800));
  EXPECT_EQ(t.leader_slots->at("cdc").type, slot_type::logical);
  EXPECT_EQ(t.handed_over, std::vector<std::string>{"cdc"});
  auto sampled = make_slot_cache({logical("cdc", "app", "pgoutput", 400, 100)});
  auto none = apply_handover(local, sampled, std::nullopt);
  EXPECT_EQ(none.leader_slots, sampled);
  EXPECT_TRUE(none.handed_over.empty());
  EXPECT_EQ(none.from_samples, std::vector<std::string>{"cdc"});
}

} // namespace
} // namespace slotd::model
