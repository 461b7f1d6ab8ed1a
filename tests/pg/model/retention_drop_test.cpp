// §3.13 rule 8 (docs/operations.md, WAL-retention guard): a permanent slot
// with `retention: {limit, action: drop_inactive}` is dropped on the
// primary once its consumer is at least `limit` behind and it has been
// inactive for `inactive_for`, and created again.
#include <gtest/gtest.h>

#include "tests/pg/model/model_fixtures.hpp"

namespace slotd::model {
namespace {

using namespace testing;

cluster_view view_with(retention_action action, std::optional<std::uint64_t> limit = 1000) {
  auto cdc = logical_slot("cdc", "app", "pgoutput");
  cdc.retention.limit = limit;
  cdc.retention.action = action;
  return view_of({node("n1"), node("n2")}, {cdc});
}

// Every local slot seen inactive for 10 minutes (the default inactive_for is 5).
cycle_input primary_at(cluster_view v, slot_cache local, std::uint64_t current) {
  auto in = primary_input(std::move(v), "n1", std::move(local));
  in.current_lsn = L(current);
  for (auto& [name, s] : in.local)
    in.inactive_for[name] = std::chrono::minutes(10);
  return in;
}

TEST(RetentionDrop, AnInactiveSlotAtItsLimitIsDroppedAndCreatedAgain) {
  // restart_lsn 500, current 1500: keeps 1000 bytes, the limit.
  auto p = plan_cycle(primary_at(view_with(retention_action::drop_inactive),
                                 cache_of({physical("n2", 100), logical("cdc", "app", "pgoutput", 500)}), 1500));
  ASSERT_EQ(p.drops.size(), 1u);
  EXPECT_EQ(p.drops[0].name, "cdc");
  EXPECT_EQ(p.drops[0].reason, drop_reason::retention_limit);
  ASSERT_EQ(p.logical_creates.size(), 1u);
  EXPECT_EQ(p.logical_creates[0].name, "cdc");
  EXPECT_TRUE(has_code(p.diagnostics, diagnostic_code::retention_drop, "cdc"));
}

TEST(RetentionDrop, BelowTheLimitNothingIsDropped) {
  auto p = plan_cycle(primary_at(view_with(retention_action::drop_inactive),
                                 cache_of({physical("n2", 100), logical("cdc", "app", "pgoutput", 500)}), 1499));
  EXPECT_TRUE(p.drops.empty());
  EXPECT_TRUE(p.logical_creates.empty());
}

TEST(RetentionDrop, NotBeforeItHasBeenInactiveForInactiveFor) {
  auto in = primary_at(view_with(retention_action::drop_inactive),
                       cache_of({physical("n2", 100), logical("cdc", "app", "pgoutput", 500)}), 1'000'000);
  in.inactive_for["cdc"] = std::chrono::minutes(4);
  EXPECT_TRUE(plan_cycle(in).drops.empty());
  in.inactive_for.erase("cdc"); // not known (just seen, or active)
  EXPECT_TRUE(plan_cycle(in).drops.empty());
  in.inactive_for["cdc"] = std::chrono::minutes(5);
  EXPECT_EQ(plan_cycle(in).drops.size(), 1u);
}

TEST(RetentionDrop, ALogicalSlotCountsFromWhatItsConsumerConfirmed) {
  // restart_lsn held back (a long transaction) but the consumer is close:
  // dropping it would not help its consumer, and its creation would wait.
  auto cdc = logical("cdc", "app", "pgoutput", 999'500);
  cdc.restart_lsn = L(100);
  auto p = plan_cycle(primary_at(view_with(retention_action::drop_inactive), cache_of({physical("n2", 100), cdc}),
                                 1'000'000));
  EXPECT_TRUE(p.drops.empty());
}

TEST(RetentionDrop, AlertOnlyNeverDrops) {
  auto p = plan_cycle(primary_at(view_with(retention_action::alert),
                                 cache_of({physical("n2", 100), logical("cdc", "app", "pgoutput", 500)}), 1'000'000));
  EXPECT_TRUE(p.drops.empty());
}

TEST(RetentionDrop, AnActiveSlotIsNeverDropped) {
  auto cdc = logical("cdc", "app", "pgoutput", 500);
  cdc.active = true;
  auto in = primary_at(view_with(retention_action::drop_inactive), cache_of({physical("n2", 100), cdc}), 1'000'000);
  // As the agent builds it: an active slot has no inactive time.
  in.inactive_for.erase("cdc");
  auto p = plan_cycle(in);
  EXPECT_TRUE(p.drops.empty());
  EXPECT_FALSE(has_code(p.diagnostics, diagnostic_code::retention_drop, "cdc"));
  // Seen inactive until the last snapshot, active in this one: the drop's
  // own guard refuses it, and says so.
  in.inactive_for["cdc"] = std::chrono::minutes(10);
  auto q = plan_cycle(in);
  EXPECT_TRUE(q.drops.empty());
  EXPECT_TRUE(has_code(q.diagnostics, diagnostic_code::slot_active, "cdc"));
}

TEST(RetentionDrop, NothingWhilePaused) {
  auto in = primary_at(view_with(retention_action::drop_inactive),
                       cache_of({physical("n2", 100), logical("cdc", "app", "pgoutput", 500)}), 1'000'000);
  in.paused = true;
  auto p = plan_cycle(in);
  EXPECT_TRUE(p.drops.empty());
  EXPECT_TRUE(has_code(p.diagnostics, diagnostic_code::not_dropped_paused, "cdc"));
}

TEST(RetentionDrop, OnlyOnThePrimaryAndOnlyWithAKnownPosition) {
  // A replica's copy keeps the leader's WAL too, but dropping it would only
  // cost a restart for a new copy.
  auto r = replica_input(view_with(retention_action::drop_inactive), "n2", "n1",
                         cache_of({logical("cdc", "app", "pgoutput", 500)}));
  r.current_lsn = L(1'000'000);
  auto p = plan_cycle(r);
  for (auto& d : p.drops)
    EXPECT_NE(d.reason, drop_reason::retention_limit);
  auto unknown = primary_at(view_with(retention_action::drop_inactive),
                            cache_of({physical("n2", 100), logical("cdc", "app", "pgoutput", 500)}), 1'000'000);
  unknown.current_lsn.reset();
  EXPECT_TRUE(plan_cycle(unknown).drops.empty());
}

TEST(RetentionDrop, AMembersSlotKeepsItsOwnRulesEvenUnderAPermanentSlotsName) {
  // A permanent physical slot named like member n2's slot, with the policy:
  // the slot is n2's (origin member), and n2 may just be restarting.
  auto v = view_with(retention_action::drop_inactive);
  auto n2 = physical_slot("n2");
  n2.retention.limit = 1000;
  n2.retention.action = retention_action::drop_inactive;
  v.slots["n2"] = n2;
  auto p = plan_cycle(primary_at(v, cache_of({physical("n2", 1), logical("cdc", "app", "pgoutput", 999'999)}),
                                 1'000'000));
  for (auto& d : p.drops)
    EXPECT_NE(d.name, "n2");
  // The same policy on a permanent physical slot of its own drops it.
  auto archive = physical_slot("archive");
  archive.retention = n2.retention;
  v.slots["archive"] = archive;
  auto q = plan_cycle(primary_at(v, cache_of({physical("n2", 1), physical("archive", 1),
                                              logical("cdc", "app", "pgoutput", 999'999)}),
                                 1'000'000));
  ASSERT_EQ(q.drops.size(), 1u);
  EXPECT_EQ(q.drops[0].name, "archive");
  EXPECT_EQ(q.physical_creates, std::vector<std::string>{"archive"});
}

} // namespace
} // namespace slotd::model
