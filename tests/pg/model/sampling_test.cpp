// How often a replica samples its leader, and when the HA loop ticks next
// (pg/model/sampling.hpp).
#include <gtest/gtest.h>

#include "model_fixtures.hpp"
#include "pg/model/sampling.hpp"

namespace slotd::model {
namespace {

using namespace testing;
using namespace std::chrono_literals;
using ms = std::chrono::milliseconds;

slot_cache cache(std::initializer_list<local_slot> slots) {
  return make_slot_cache(std::vector<local_slot>(slots));
}

TEST(LogicalSlotsMoved, SameSlotsAtTheSamePositionsDidNotMove) {
  auto a = cache({logical("cdc", "app", "pgoutput", 500, 100), physical("node2", 900)});
  EXPECT_FALSE(logical_slots_moved(a, a));
  EXPECT_FALSE(logical_slots_moved({}, {}));
}

TEST(LogicalSlotsMoved, AnyPositionOfALogicalSlotCounts) {
  auto a = cache({logical("cdc", "app", "pgoutput", 500, 100)});
  auto flushed = cache({logical("cdc", "app", "pgoutput", 600, 100)});
  EXPECT_TRUE(logical_slots_moved(a, flushed));
  auto xmin = cache({logical("cdc", "app", "pgoutput", 500, 101)});
  EXPECT_TRUE(logical_slots_moved(a, xmin));
  auto restart = a;
  restart["cdc"].restart_lsn = L(450);
  EXPECT_TRUE(logical_slots_moved(a, restart));
}

TEST(LogicalSlotsMoved, ALogicalSlotThatAppearsOrGoesAwayCounts) {
  auto one = cache({logical("cdc", "app", "pgoutput")});
  auto two = cache({logical("cdc", "app", "pgoutput"), logical("audit", "app", "test_decoding")});
  EXPECT_TRUE(logical_slots_moved(one, two));
  EXPECT_TRUE(logical_slots_moved(two, one));
  EXPECT_TRUE(logical_slots_moved({}, one));
  EXPECT_TRUE(logical_slots_moved(one, {}));
  auto renamed = cache({logical("cdc2", "app", "pgoutput")});
  EXPECT_TRUE(logical_slots_moved(one, renamed));
}

TEST(LogicalSlotsMoved, PhysicalSlotsAreLeftOut) {
  auto a = cache({physical("node2", 900), logical("cdc", "app", "pgoutput")});
  auto b = cache({physical("node2", 1900), physical("node3", 10), logical("cdc", "app", "pgoutput")});
  EXPECT_FALSE(logical_slots_moved(a, b));
  EXPECT_FALSE(logical_slots_moved(cache({physical("node2", 900)}), {}));
}

local_slot physical_with_catalog_xmin(const std::string& name, std::optional<std::uint32_t> catalog_xmin) {
  auto s = physical(name, 900);
  if (catalog_xmin)
    s.catalog_xmin = pg::xid{*catalog_xmin};
  return s;
}

TEST(CatalogXminMoved, OnlyTheNamedSlotsCatalogXmin) {
  auto a = cache({physical_with_catalog_xmin("node2", 794), physical_with_catalog_xmin("node3", 794)});
  EXPECT_FALSE(catalog_xmin_moved(a, a, "node2"));
  auto other = cache({physical_with_catalog_xmin("node2", 794), physical_with_catalog_xmin("node3", 900)});
  EXPECT_FALSE(catalog_xmin_moved(a, other, "node2"));
  EXPECT_TRUE(catalog_xmin_moved(a, other, "node3"));
  // The restart_lsn moves with any WAL: not the proof's input.
  auto wal = a;
  wal["node2"].restart_lsn = L(5000);
  EXPECT_FALSE(catalog_xmin_moved(a, wal, "node2"));
}

TEST(CatalogXminMoved, FeedbackArrivingOrGoingAndSlotsComingOrGoingCount) {
  auto none = cache({physical_with_catalog_xmin("node2", std::nullopt)});
  auto some = cache({physical_with_catalog_xmin("node2", 860)});
  EXPECT_TRUE(catalog_xmin_moved(none, some, "node2"));
  EXPECT_TRUE(catalog_xmin_moved(some, none, "node2"));
  EXPECT_TRUE(catalog_xmin_moved({}, some, "node2"));
  EXPECT_TRUE(catalog_xmin_moved(some, {}, "node2"));
  EXPECT_FALSE(catalog_xmin_moved({}, {}, "node2"));
}

TEST(SampleFast, MovementCreationAndCopiesBehindAreFast) {
  EXPECT_FALSE(sample_fast({}));
  EXPECT_TRUE(sample_fast({.leader_moved = true}));
  EXPECT_TRUE(sample_fast({.creating = true}));
  EXPECT_TRUE(sample_fast({.copies_behind = true}));
}

TEST(SampleFast, FastForAWhileAfterTheLeaderMovedThenBackingOff) {
  // A consumer that confirms every second: the pace stays fast between its
  // confirmations, so the next one is seen within one fast interval.
  EXPECT_TRUE(sample_fast({.since_leader_moved = 0ms}));
  EXPECT_TRUE(sample_fast({.since_leader_moved = 1000ms}));
  EXPECT_TRUE(sample_fast({.since_leader_moved = 2999ms}));
  // Still for the whole hold: back off.
  EXPECT_FALSE(sample_fast({.since_leader_moved = 3000ms}));
  EXPECT_FALSE(sample_fast({.since_leader_moved = 3600000ms}));
  EXPECT_FALSE(sample_fast({.since_leader_moved = 1000ms}, proof_patience, 500ms));
}

TEST(SampleFast, AFreshProofIsFastThenOnlyWhenItsInputMoves) {
  // A copy just made: feedback is on its way.
  EXPECT_TRUE(sample_fast({.newest_proof_wait = 0ms}));
  EXPECT_TRUE(sample_fast({.newest_proof_wait = 9999ms}));
  // Waited past the patience with nothing moving (another slot holds the
  // feedback back): the backed-off pace.
  EXPECT_FALSE(sample_fast({.newest_proof_wait = 10000ms}));
  EXPECT_FALSE(sample_fast({.newest_proof_wait = 3600000ms}));
  // The leader's physical slot for this node moved its catalog_xmin: the
  // proof may complete now.
  EXPECT_TRUE(sample_fast({.newest_proof_wait = 3600000ms, .own_physical_catalog_xmin_moved = true}));
  // Without a proof pending, that slot's catalog_xmin is nobody's concern.
  EXPECT_FALSE(sample_fast({.own_physical_catalog_xmin_moved = true}));
  EXPECT_FALSE(sample_fast({.newest_proof_wait = 2000ms}, 1000ms));
}

TEST(NewestProofWait, TheShortestWaitOfThePendingCopies) {
  using clock = std::chrono::system_clock;
  auto now = clock::time_point{} + 1000h;
  std::map<std::string, std::optional<pg::xid>> pending{{"cdc", std::nullopt}, {"audit", pg::xid{7}}};
  std::map<std::string, clock::time_point> since{{"cdc", now - 30s}, {"audit", now - 4s}, {"gone", now}};
  EXPECT_EQ((newest_proof_wait<decltype(pending), clock>(pending, since, now)), ms(4000));
  // Without a recorded start: it starts now.
  since.erase("audit");
  EXPECT_EQ((newest_proof_wait<decltype(pending), clock>(pending, since, now)), ms(0));
  // A start after now (the clock stepped back): now.
  since["audit"] = now + 5s;
  EXPECT_EQ((newest_proof_wait<decltype(pending), clock>(pending, since, now)), ms(0));
  EXPECT_FALSE((newest_proof_wait<decltype(pending), clock>({}, since, now)));
}

TEST(SampleFast, AStuckProofBacksOffToTheSlowest) {
  // Samples of an idle leader while one copy stays unprovable: after the
  // patience the pace doubles up to the slowest instead of staying at 200 ms.
  sampling_limits lim{200ms, 5000ms};
  ms delay = lim.fastest;
  ms waited{0};
  int fast = 0;
  for (int i = 0; i < 100; ++i) {
    bool f = sample_fast({.newest_proof_wait = waited});
    fast += f;
    delay = next_sample_delay(delay, f, lim);
    waited += delay;
  }
  EXPECT_EQ(delay, 5000ms);
  EXPECT_EQ(fast, 50); // 10 s at 200 ms
}

TEST(NextSampleDelay, BacksOffByDoublingUpToTheSlowest) {
  sampling_limits lim{200ms, 5000ms};
  ms d = lim.fastest;
  std::vector<ms> seen;
  for (int i = 0; i < 8; ++i)
    seen.push_back(d = next_sample_delay(d, false, lim));
  EXPECT_EQ(seen, (std::vector<ms>{400ms, 800ms, 1600ms, 3200ms, 5000ms, 5000ms, 5000ms, 5000ms}));
}

TEST(NextSampleDelay, SnapsBackToTheFastestOnTheFirstMove) {
  sampling_limits lim{200ms, 5000ms};
  EXPECT_EQ(next_sample_delay(5000ms, true, lim), 200ms);
  EXPECT_EQ(next_sample_delay(200ms, true, lim), 200ms);
  EXPECT_EQ(next_sample_delay(ms{0}, false, lim), 200ms) << "never below the fastest";
}

TEST(NextSampleDelay, ASlowestBelowTheFastestMeansTheFastest) {
  sampling_limits lim{500ms, 100ms};
  EXPECT_EQ(next_sample_delay(500ms, false, lim), 500ms);
}

TEST(NextTickDelay, TheEarliestOfFullCycleCopyAndSample) {
  auto now = clock::now();
  EXPECT_EQ(next_tick_delay(now, now + 2s, std::nullopt, std::nullopt), 2000ms) << "a primary: full cycles only";
  EXPECT_EQ(next_tick_delay(now, now + 2s, std::nullopt, 200ms), 200ms);
  EXPECT_EQ(next_tick_delay(now, now + 2s, std::nullopt, 5000ms), 2000ms) << "a sample never delays a cycle";
  EXPECT_EQ(next_tick_delay(now, now + 10s, now + 3s, 5000ms), 3000ms) << "a copy waiting for its retry time";
  EXPECT_EQ(next_tick_delay(now, now + 10s, now + 3s, 200ms), 200ms);
}

TEST(NextTickDelay, OverdueMeansNow) {
  auto now = clock::now();
  EXPECT_EQ(next_tick_delay(now, now - 1s, std::nullopt, std::nullopt), ms{0});
  EXPECT_EQ(next_tick_delay(now, now + 1s, now - 5ms, std::nullopt), ms{0});
}

TEST(NextTickDelay, RoundsUpToWholeMilliseconds) {
  auto now = clock::now();
  EXPECT_EQ(next_tick_delay(now, now + std::chrono::microseconds(1500), std::nullopt, std::nullopt), 2ms)
      << "a tick that comes early would find the cycle not due yet";
}

} // namespace
} // namespace slotd::model

namespace slotd::model {
namespace {

using namespace testing;

TEST(CopiesBehind, ALogicalCopyBelowTheLeadersPosition) {
  auto local = make_slot_cache({logical("cdc", "app", "pgoutput", 500), logical("audit", "app", "test_decoding", 700)});
  EXPECT_FALSE(copies_behind(local, {{"cdc", L(500)}, {"audit", L(700)}}));
  EXPECT_TRUE(copies_behind(local, {{"cdc", L(501)}, {"audit", L(700)}}));
  EXPECT_FALSE(copies_behind(local, {{"cdc", L(400)}})) << "ahead of the leader is not behind";
}

TEST(CopiesBehind, OnlyLogicalCopiesTheLeaderPublishes) {
  auto local = make_slot_cache({physical("node1", 100), logical("cdc", "app", "pgoutput", 500)});
  EXPECT_FALSE(copies_behind(local, {{"node1", L(900)}})) << "physical slots are moved by full cycles";
  EXPECT_FALSE(copies_behind(local, {{"other", L(900)}}));
  EXPECT_FALSE(copies_behind({}, {{"cdc", L(900)}}));
}

TEST(CopiesBehind, ACopyWithoutAPositionIsBehind) {
  auto local = make_slot_cache({logical("cdc", "app", "pgoutput", std::nullopt)});
  EXPECT_TRUE(copies_behind(local, {{"cdc", L(1)}}));
}

} // namespace
} // namespace slotd::model
