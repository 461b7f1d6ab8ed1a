// Per-slot figures for operators (pg/model/slot_figures.hpp): WAL held back,
// consumer lag, copies behind the leader, time unmoved and unused, the
// consumer of an active slot.
#include <gtest/gtest.h>

#include "model_fixtures.hpp"
#include "pg/model/slot_figures.hpp"

namespace slotd::model {
namespace {

using namespace testing;
using namespace std::chrono_literals;

sample_clock::time_point T(int seconds) { return sample_clock::time_point{} + std::chrono::seconds(1000 + seconds); }

local_slot with_restart(local_slot s, std::uint64_t restart) {
  s.restart_lsn = pg::lsn{restart};
  return s;
}

local_slot active(local_slot s) {
  s.active = true;
  return s;
}

const slot_figures& of(const std::vector<slot_figures>& all, const std::string& name) {
  for (auto& f : all)
    if (f.name == name)
      return f;
  throw std::runtime_error("no figures for " + name);
}

TEST(WatchSlots, ANewSlotStartsItsClockAndAMoveRestartsIt) {
  auto w0 = watch_slots({}, make_slot_cache({logical("cdc", "app", "pgoutput", 500)}), T(0));
  ASSERT_TRUE(w0.contains("cdc"));
  EXPECT_EQ(w0["cdc"].moved_at, T(0));
  EXPECT_FALSE(w0["cdc"].moved_seen);
  auto w1 = watch_slots(w0, make_slot_cache({logical("cdc", "app", "pgoutput", 500)}), T(5));
  EXPECT_EQ(w1["cdc"].moved_at, T(0)) << "the same position keeps the clock";
  auto w2 = watch_slots(w1, make_slot_cache({logical("cdc", "app", "pgoutput", 700)}), T(9));
  EXPECT_EQ(w2["cdc"].moved_at, T(9));
  EXPECT_TRUE(w2["cdc"].moved_seen);
  EXPECT_EQ(w2["cdc"].position, L(700));
}

TEST(WatchSlots, PhysicalSlotsMoveByRestartLsnAndGoneSlotsAreForgotten) {
  auto w0 = watch_slots({}, make_slot_cache({physical("node2", 100), logical("cdc", "app", "pgoutput", 500)}), T(0));
  auto w1 = watch_slots(w0, make_slot_cache({physical("node2", 200)}), T(3));
  EXPECT_FALSE(w1.contains("cdc"));
  EXPECT_EQ(w1["node2"].moved_at, T(3));
  EXPECT_EQ(w1["node2"].position, L(200));
}

TEST(WatchSlots, LastActiveIsTheLastSnapshotThatSawTheSlotActive) {
  auto w0 = watch_slots({}, make_slot_cache({logical("cdc", "app", "pgoutput", 500)}), T(0));
  EXPECT_FALSE(w0["cdc"].last_active) << "never seen active";
  auto w1 = watch_slots(w0, make_slot_cache({active(logical("cdc", "app", "pgoutput", 500))}), T(2));
  auto w2 = watch_slots(w1, make_slot_cache({active(logical("cdc", "app", "pgoutput", 500))}), T(4));
  auto w3 = watch_slots(w2, make_slot_cache({logical("cdc", "app", "pgoutput", 500)}), T(6));
  EXPECT_EQ(w3["cdc"].last_active, T(4));
  EXPECT_FALSE(w3["cdc"].active);
}

TEST(InactiveDurations, FromTheLastActiveSnapshotOrFirstSightAndNeverBeforeThePrimaryRole) {
  auto w0 = watch_slots({}, make_slot_cache({logical("cdc", "app", "pgoutput", 500),
                                             active(logical("busy", "app", "pgoutput", 500)),
                                             logical("idle", "app", "pgoutput", 500)}),
                        T(0));
  auto w1 = watch_slots(w0, make_slot_cache({active(logical("cdc", "app", "pgoutput", 500)),
                                             active(logical("busy", "app", "pgoutput", 500)),
                                             logical("idle", "app", "pgoutput", 500)}),
                        T(10));
  auto w2 = watch_slots(w1, make_slot_cache({logical("cdc", "app", "pgoutput", 500),
                                             active(logical("busy", "app", "pgoutput", 500)),
                                             logical("idle", "app", "pgoutput", 500)}),
                        T(20));
  auto d = inactive_durations(w2, T(100), std::nullopt);
  EXPECT_EQ(d.at("cdc"), 90s) << "since the last snapshot that saw it active";
  EXPECT_EQ(d.at("idle"), 100s) << "never seen active: since first seen";
  EXPECT_FALSE(d.contains("busy"));
  auto promoted = inactive_durations(w2, T(100), T(70));
  EXPECT_EQ(promoted.at("cdc"), 30s) << "not from before the node became primary";
  EXPECT_EQ(promoted.at("idle"), 30s);
}

TEST(SlotFigures, OnThePrimaryRetainedWalAndConsumerLagFromTheCurrentPosition) {
  auto slots = make_slot_cache({with_restart(logical("cdc", "app", "pgoutput", 5000), 4000), physical("node2", 9000)});
  slot_figures_input in;
  in.slots = &slots;
  in.head = L(10000);
  auto figs = compute_slot_figures(in);
  ASSERT_EQ(figs.size(), 2u);
  EXPECT_EQ(of(figs, "cdc").retained_bytes, 6000u);
  EXPECT_EQ(of(figs, "cdc").confirmed_lag_bytes, 5000u);
  EXPECT_EQ(of(figs, "cdc").behind_leader, std::nullopt) << "a primary has no leader to be behind";
  EXPECT_EQ(of(figs, "node2").retained_bytes, 1000u);
  EXPECT_EQ(of(figs, "node2").confirmed_lag_bytes, std::nullopt) << "physical slots confirm nothing";
}

TEST(SlotFigures, OnAStandbyRetainedWalCountsWhatWasReceivedButNotReplayed) {
  auto slots = make_slot_cache({with_restart(logical("cdc", "app", "pgoutput", 5000), 4000)});
  slot_figures_input in;
  in.slots = &slots;
  in.head = L(6000);     // replayed
  in.wal_end = L(9000);  // received
  auto figs = compute_slot_figures(in);
  EXPECT_EQ(of(figs, "cdc").retained_bytes, 5000u);
  EXPECT_EQ(of(figs, "cdc").confirmed_lag_bytes, 1000u) << "a consumer's lag is to what is replayed";
}

TEST(SlotFigures, UnknownPositionsAreNoFigureAndASlotAheadOfReplayIsZero) {
  auto slots = make_slot_cache({logical("cdc", "app", "pgoutput", std::nullopt), logical("ahead", "app", "pgoutput", 900)});
  slot_figures_input in;
  in.slots = &slots;
  in.head = L(800);
  auto figs = compute_slot_figures(in);
  EXPECT_EQ(of(figs, "cdc").retained_bytes, std::nullopt);
  EXPECT_EQ(of(figs, "cdc").confirmed_lag_bytes, std::nullopt);
  EXPECT_EQ(of(figs, "ahead").confirmed_lag_bytes, 0u);
  in.head.reset();
  EXPECT_EQ(of(compute_slot_figures(in), "ahead").retained_bytes, std::nullopt) << "no head: no figure";
}

TEST(SlotFigures, OnAReplicaACopyIsBehindTheLeaderInBytesAndSeconds) {
  position_history h;
  record_leader_positions(h, "node1", make_slot_cache({logical("cdc", "app", "pgoutput", 500)}), T(0));
  record_leader_positions(h, "node1", make_slot_cache({logical("cdc", "app", "pgoutput", 500)}), T(2));
  record_leader_positions(h, "node1", make_slot_cache({logical("cdc", "app", "pgoutput", 900)}), T(3));
  record_leader_positions(h, "node1", make_slot_cache({logical("cdc", "app", "pgoutput", 1500)}), T(7));
  auto slots = make_slot_cache({logical("cdc", "app", "pgoutput", 500), logical("new", "app", "pgoutput", 10)});
  slot_figures_input in;
  in.slots = &slots;
  in.head = L(2000);
  in.replica = true;
  in.leader = &h;
  auto figs = compute_slot_figures(in);
  ASSERT_TRUE(of(figs, "cdc").behind_leader);
  EXPECT_EQ(of(figs, "cdc").behind_leader->bytes, 1000u);
  EXPECT_DOUBLE_EQ(of(figs, "cdc").behind_leader->seconds, 5.0) << "the leader was last at 500 at T(2); newest T(7)";
  EXPECT_EQ(of(figs, "new").behind_leader, std::nullopt) << "the leader has no such slot";
}

TEST(SlotFigures, UnmovedAndInactiveSecondsFromTheWatch) {
  auto cache0 = make_slot_cache({active(logical("cdc", "app", "pgoutput", 500)), logical("idle", "app", "pgoutput", 300)});
  auto w = watch_slots({}, cache0, T(0));
  auto cache1 = make_slot_cache({logical("cdc", "app", "pgoutput", 600), logical("idle", "app", "pgoutput", 300)});
  w = watch_slots(w, cache1, T(10));
  slot_figures_input in;
  in.slots = &cache1;
  in.watch = &w;
  in.now = T(25);
  auto figs = compute_slot_figures(in);
  EXPECT_EQ(of(figs, "cdc").unmoved_seconds, 15.0);
  EXPECT_FALSE(of(figs, "cdc").unmoved_at_least);
  EXPECT_EQ(of(figs, "cdc").last_active, T(0));
  EXPECT_EQ(of(figs, "cdc").inactive_seconds, 25.0);
  EXPECT_EQ(of(figs, "idle").unmoved_seconds, 25.0);
  EXPECT_TRUE(of(figs, "idle").unmoved_at_least) << "not seen moving: at least since slotd first saw it";
  EXPECT_EQ(of(figs, "idle").inactive_seconds, std::nullopt) << "never seen active, no inactive_since: unknown";
}

TEST(SlotFigures, PostgresInactiveSinceWinsAndTheConsumerShowsOnlyForAnActiveSlot) {
  auto cache = make_slot_cache({active(logical("cdc", "app", "pgoutput", 500)), logical("idle", "app", "pgoutput", 300)});
  auto w = watch_slots({}, cache, T(20));
  slot_details_map details;
  slot_consumer c{"debezium", "10.0.0.7", T(-100), "walsender"};
  details["cdc"] = slot_details{4242, 1 << 20, std::nullopt, c};
  details["idle"] = slot_details{std::nullopt, std::nullopt, T(-50), c};
  slot_figures_input in;
  in.slots = &cache;
  in.watch = &w;
  in.details = &details;
  in.now = T(30);
  auto figs = compute_slot_figures(in);
  EXPECT_EQ(of(figs, "cdc").consumer, c);
  EXPECT_EQ(of(figs, "cdc").safe_wal_size, 1 << 20);
  EXPECT_EQ(of(figs, "cdc").inactive_seconds, std::nullopt) << "an active slot is not inactive";
  EXPECT_EQ(of(figs, "idle").consumer, std::nullopt) << "a stale row of an inactive slot shows no consumer";
  EXPECT_EQ(of(figs, "idle").last_active, T(-50));
  EXPECT_EQ(of(figs, "idle").inactive_seconds, 80.0);
}

TEST(SlotFigures, SlotdsNewerSightWinsOverAnOlderInactiveSince) {
  auto used = make_slot_cache({active(logical("cdc", "app", "pgoutput", 500))});
  auto w = watch_slots({}, used, T(20));
  auto released = make_slot_cache({logical("cdc", "app", "pgoutput", 500)});
  w = watch_slots(w, released, T(22));
  slot_details_map details;
  details["cdc"] = slot_details{std::nullopt, std::nullopt, T(5), std::nullopt}; // read before the slot was used
  slot_figures_input in;
  in.slots = &released;
  in.watch = &w;
  in.details = &details;
  in.now = T(30);
  auto figs = compute_slot_figures(in);
  EXPECT_EQ(of(figs, "cdc").last_active, T(20));
  EXPECT_EQ(of(figs, "cdc").inactive_seconds, 10.0);
}

} // namespace
} // namespace slotd::model
