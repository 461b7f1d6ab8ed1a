// How a replica gets its copies (pg/model/copy_method.hpp).
#include <gtest/gtest.h>

#include "model_fixtures.hpp"
#include "pg/model/copy_method.hpp"

namespace slotd::model {
namespace {

using testing::logical;

TEST(ChooseCopyMethod, AutoCreatesOn16WhenTheLeadersSlotIsConsumedAndCopiesFilesElsewhere) {
  for (int major : {12, 13, 14, 15, 17, 18})
    for (auto use : {leader_slot_use::consumed, leader_slot_use::unused, leader_slot_use::undecided})
      EXPECT_EQ(choose_copy_method(copy_method_setting::automatic, major, use),
                (copy_method_choice{copy_method::file, "", false}))
          << major << " " << static_cast<int>(use);
  EXPECT_EQ(choose_copy_method(copy_method_setting::automatic, 16, leader_slot_use::consumed).method,
            copy_method::create);
  EXPECT_EQ(choose_copy_method(copy_method_setting::automatic, 16, leader_slot_use::unused).method, copy_method::file)
      << "nobody consumes the leader's slot: a created copy would stay ahead of it";
  auto later = choose_copy_method(copy_method_setting::automatic, 16, leader_slot_use::undecided);
  EXPECT_FALSE(later.method);
  EXPECT_TRUE(later.wait);
  EXPECT_EQ(later.refusal, "");
}

using namespace std::chrono_literals;

std::deque<position_seen> seen(std::initializer_list<std::pair<std::uint64_t, std::pair<int, int>>> entries) {
  std::deque<position_seen> out;
  auto t0 = sample_clock::time_point{} + std::chrono::hours(1000);
  for (auto& [lsn, span] : entries)
    out.push_back({pg::lsn{lsn}, t0 + std::chrono::milliseconds(span.first), t0 + std::chrono::milliseconds(span.second)});
  return out;
}

// Moved to its current position while sampled: a consumer confirmed past
// where it was, be it a walsender or a poller between two samples
// (inactive when sampled).
TEST(LeaderSlotUse, ASlotThatMovedRecentlyIsConsumedActiveOrNot) {
  auto polled = logical("audit", "app", "test_decoding", 600);
  auto h = seen({{500, {0, 400}}, {600, {600, 3000}}});
  EXPECT_EQ(leader_slot_use_of(polled, &h, 10s), (leader_slot_use_verdict{leader_slot_use::consumed, 0ms}));
  polled.active = true;
  EXPECT_EQ(leader_slot_use_of(polled, &h, 10s).use, leader_slot_use::consumed);
}

// Still at its current position for `patience`: unused, even if it moved
// long ago, and even if a walsender holds it (a stalled consumer would keep
// a created copy ahead of the slot as long as it stalls).
TEST(LeaderSlotUse, ASlotStillForThePatienceIsUnusedWhoeverHoldsIt) {
  auto slot = logical("cdc", "app", "pgoutput", 600);
  auto moved_long_ago = seen({{500, {0, 400}}, {600, {600, 10600}}});
  EXPECT_EQ(leader_slot_use_of(slot, &moved_long_ago, 10s), (leader_slot_use_verdict{leader_slot_use::unused, 0ms}));
  auto never_moved = seen({{600, {0, 10000}}});
  EXPECT_EQ(leader_slot_use_of(slot, &never_moved, 10s), (leader_slot_use_verdict{leader_slot_use::unused, 0ms}));
  slot.active = true;
  EXPECT_EQ(leader_slot_use_of(slot, &never_moved, 10s).use, leader_slot_use::unused) << "a stalled walsender";
}

// One position, seen for less than the patience: undecided (a slot just
// created is held by its creating backend, a consumer may not have
// confirmed yet), with the time left to watch.
TEST(LeaderSlotUse, ASlotNotMovedYetIsWatchedForThePatience) {
  auto idle = logical("cdc", "app", "pgoutput", 500);
  auto h = seen({{500, {0, 4000}}});
  EXPECT_EQ(leader_slot_use_of(idle, &h, 10s), (leader_slot_use_verdict{leader_slot_use::undecided, 6000ms}));
  idle.active = true;
  EXPECT_EQ(leader_slot_use_of(idle, &h, 10s).use, leader_slot_use::undecided) << "a creator holds it too";
  EXPECT_EQ(leader_slot_use_of(idle, &h), (leader_slot_use_verdict{leader_slot_use::undecided, 8000ms}))
      << "the default patience is 12 s";
}

// No position sampled yet: undecided, the whole patience ahead. No
// position at all (being created on the leader, where it may wait for
// every running transaction): unused, so that no copy waits for it.
TEST(LeaderSlotUse, NoPositionSampledIsUndecidedAndASlotBeingCreatedUnused) {
  auto creating = logical("cdc", "app", "pgoutput", std::nullopt);
  creating.active = true;
  auto h = seen({{500, {0, 2000}}});
  EXPECT_EQ(leader_slot_use_of(creating, &h, 10s), (leader_slot_use_verdict{leader_slot_use::unused, 0ms}));
  EXPECT_EQ(leader_slot_use_of(logical("cdc", "app", "pgoutput", 500), nullptr, 10s),
            (leader_slot_use_verdict{leader_slot_use::undecided, 10000ms}));
  std::deque<position_seen> none;
  EXPECT_EQ(leader_slot_use_of(logical("cdc", "app", "pgoutput", 500), &none, 10s).use, leader_slot_use::undecided);
}

TEST(ChooseCopyMethod, ExplicitMethodsAndTheirLimits) {
  EXPECT_EQ(choose_copy_method(copy_method_setting::file, 16, leader_slot_use::consumed).method, copy_method::file);
  EXPECT_EQ(choose_copy_method(copy_method_setting::create, 17, leader_slot_use::unused).method, copy_method::create);
  auto too_old = choose_copy_method(copy_method_setting::create, 15, leader_slot_use::consumed);
  EXPECT_FALSE(too_old.method);
  EXPECT_NE(too_old.refusal.find("16 or later"), std::string::npos) << too_old.refusal;
  EXPECT_FALSE(choose_copy_method(copy_method_setting::automatic, 0, leader_slot_use::consumed).method) << "major not known yet: no copy";
}

TEST(CopyAheadOfLeader, OnlyAPositionPastTheLeadersCounts) {
  auto copy = logical("cdc", "app", "pgoutput", 700);
  EXPECT_TRUE(copy_ahead_of_leader("cdc", copy, {{"cdc", pg::lsn{699}}}));
  EXPECT_FALSE(copy_ahead_of_leader("cdc", copy, {{"cdc", pg::lsn{700}}}));
  EXPECT_FALSE(copy_ahead_of_leader("cdc", copy, {}));
  auto unknown = logical("cdc", "app", "pgoutput", std::nullopt);
  EXPECT_FALSE(copy_ahead_of_leader("cdc", unknown, {{"cdc", pg::lsn{1}}}));
}

} // namespace
} // namespace slotd::model
