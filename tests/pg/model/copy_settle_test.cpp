// One restart per burst of new slots (pg/model/copy_settle.hpp).
#include <gtest/gtest.h>

#include "model_fixtures.hpp"
#include "pg/model/copy_settle.hpp"

namespace slotd::model {
namespace {

using namespace std::chrono_literals;
using namespace testing;

const time_point t0 = time_point{} + 1000s;

copy_settle_input input(time_point now, std::vector<std::string> to_copy, const settling_slots& s) {
  copy_settle_input in;
  in.now = now;
  in.settle = 2s;
  in.to_copy = std::move(to_copy);
  in.settling = s;
  return in;
}

TEST(AwaitedOnLeader, DesiredLogicalSlotsNeitherHereNorOnTheLeader) {
  desired_set desired;
  desired["a"] = {.name = "a", .type = slot_type::logical, .database = "app", .plugin = "pgoutput"};
  desired["b"] = {.name = "b", .type = slot_type::logical, .database = "app", .plugin = "pgoutput"};
  desired["c"] = {.name = "c", .type = slot_type::logical, .database = "app", .plugin = "pgoutput"};
  desired["node3"] = {.name = "node3", .type = slot_type::physical};
  auto local = make_slot_cache(std::vector<local_slot>{logical("a", "app", "pgoutput", 500, 100)});
  slot_positions leader{{"b", pg::lsn{500}}};
  EXPECT_EQ(awaited_on_leader(desired, local, leader), (std::vector<std::string>{"c"}));
}

TEST(TrackSettling, NewNamesGetNowKnownNamesKeepTheirTimeGoneNamesAreForgotten) {
  settling_slots s;
  track_settling(s, {"a"}, {"b"}, t0);
  EXPECT_EQ(s.at("a"), (settling_slot{t0, true}));
  EXPECT_EQ(s.at("b"), (settling_slot{t0, false}));
  track_settling(s, {"a"}, {"b", "c"}, t0 + 1s);
  EXPECT_EQ(s.at("a").since, t0);
  EXPECT_EQ(s.at("b").since, t0);
  EXPECT_EQ(s.at("c").since, t0 + 1s);
  track_settling(s, {"a"}, {}, t0 + 2s);
  EXPECT_EQ(s.size(), 1u);
}

TEST(TrackSettling, ASlotThatAppearsOnTheLeaderCountsFromThen) {
  settling_slots s;
  track_settling(s, {}, {"b"}, t0);
  track_settling(s, {"b"}, {}, t0 + 5s);
  EXPECT_EQ(s.at("b"), (settling_slot{t0 + 5s, true}));
}

TEST(SettleCopies, NothingToCopyIsNoCopy) {
  auto d = settle_copies(input(t0, {}, {}));
  EXPECT_FALSE(d.copy_now);
  EXPECT_EQ(d.waiting, settle_wait::none);
}

TEST(SettleCopies, ZeroSettleCopiesAtOnce) {
  settling_slots s;
  track_settling(s, {"a"}, {}, t0);
  auto in = input(t0, {"a"}, s);
  in.settle = 0s;
  in.last_restart_end = t0;
  EXPECT_TRUE(settle_copies(in).copy_now);
}

TEST(SettleCopies, ANewSlotWaitsSettleThenCopies) {
  settling_slots s;
  track_settling(s, {"a"}, {}, t0);
  auto d = settle_copies(input(t0 + 1s, {"a"}, s));
  EXPECT_FALSE(d.copy_now);
  EXPECT_EQ(d.not_before, t0 + 2s);
  EXPECT_EQ(d.waiting, settle_wait::quiet);
  EXPECT_TRUE(settle_copies(input(t0 + 2s, {"a"}, s)).copy_now);
}

TEST(SettleCopies, ABurstIsCopiedOnceTheLastOneHasSettled) {
  settling_slots s;
  track_settling(s, {"a"}, {}, t0);
  track_settling(s, {"a", "b"}, {}, t0 + 100ms);
  track_settling(s, {"a", "b", "c"}, {}, t0 + 200ms);
  auto d = settle_copies(input(t0 + 2100ms, {"a", "b", "c"}, s));
  EXPECT_FALSE(d.copy_now);
  EXPECT_EQ(d.not_before, t0 + 2200ms);
  EXPECT_TRUE(settle_copies(input(t0 + 2200ms, {"a", "b", "c"}, s)).copy_now);
}

TEST(SettleCopies, ASlotTheLeaderHasNotCreatedYetHoldsTheCopyForSettleOnly) {
  settling_slots s;
  track_settling(s, {"a"}, {}, t0 - 1s); // a copy to make
  track_settling(s, {"a"}, {"b"}, t0);    // a view that wants b, not on the leader yet
  EXPECT_FALSE(settle_copies(input(t0 + 1s, {"a"}, s)).copy_now);
  EXPECT_TRUE(settle_copies(input(t0 + 2s, {"a"}, s)).copy_now); // b never came
}

TEST(SettleCopies, AStreamOfNewSlotsCannotHoldACopyBackForever) {
  settling_slots s;
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) {
    names.push_back("s" + std::to_string(i));
    track_settling(s, names, {}, t0 + i * 1s);
  }
  auto d = settle_copies(input(t0 + 9s, names, s));
  EXPECT_EQ(d.not_before, t0 + 6s); // the oldest + 3 × settle
  EXPECT_TRUE(d.copy_now);
}

TEST(SettleCopies, NoRestartWithinSettleOfThePreviousOne) {
  settling_slots s;
  track_settling(s, {"a"}, {}, t0 - 10s);
  auto in = input(t0, {"a"}, s);
  in.last_restart_end = t0 - 500ms;
  auto d = settle_copies(in);
  EXPECT_FALSE(d.copy_now);
  EXPECT_EQ(d.waiting, settle_wait::after_restart);
  EXPECT_EQ(d.not_before, t0 + 1500ms);
  in.now = t0 + 1500ms;
  EXPECT_TRUE(settle_copies(in).copy_now);
}

TEST(SettleCopies, ASlotWithoutATrackedTimeDoesNotWait) {
  EXPECT_TRUE(settle_copies(input(t0, {"a"}, {})).copy_now);
}

} // namespace
} // namespace slotd::model
