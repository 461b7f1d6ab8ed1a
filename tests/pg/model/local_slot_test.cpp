#include "pg/model/local_slot.hpp"

#include <gtest/gtest.h>

#include "model_fixtures.hpp"

namespace slotd::model {
namespace {
using namespace testing;

// docs/slot-rules.md §2.1.
TEST(CompareSlots, PhysicalComparesTypeOnly) {
  auto have = physical("p", 100);
  have.database = "ignored";
  EXPECT_TRUE(compare_slots({slot_type::physical, "x", "y"}, have));
  EXPECT_FALSE(compare_slots({slot_type::logical, "", ""}, have));
}

TEST(CompareSlots, LogicalComparesDatabaseAndPlugin) {
  auto have = logical("ls", "a", "b");
  EXPECT_TRUE(compare_slots({slot_type::logical, "a", "b"}, have));
  EXPECT_FALSE(compare_slots({slot_type::logical, "other", "b"}, have));
  EXPECT_FALSE(compare_slots({slot_type::logical, "a", "wal2json"}, have));
  EXPECT_FALSE(compare_slots({slot_type::physical, "", ""}, have));
}

// §2.3.7: every matcher shape.
TEST(IgnoreSlots, EachMatcherShape) {
  const auto ls = logical("adhoc", "app", "wal2json");
  const auto ps = physical("backup", 1);
  auto m = [](std::optional<std::string> name, std::optional<std::string> type, std::optional<std::string> db,
              std::optional<std::string> plugin) { return ignore_matcher{name, type, db, plugin}; };
  // empty matcher: everything
  EXPECT_TRUE(matches(m({}, {}, {}, {}), ls));
  EXPECT_TRUE(matches(m({}, {}, {}, {}), ps));
  // empty strings count as absent
  EXPECT_TRUE(matches(m("", "", "", ""), ps));
  // name only: exact, no globbing, case-sensitive
  EXPECT_TRUE(matches(m("adhoc", {}, {}, {}), ls));
  EXPECT_FALSE(matches(m("adho*", {}, {}, {}), ls));
  EXPECT_FALSE(matches(m("ADHOC", {}, {}, {}), ls));
  // type only
  EXPECT_TRUE(matches(m({}, "logical", {}, {}), ls));
  EXPECT_FALSE(matches(m({}, "logical", {}, {}), ps));
  EXPECT_TRUE(matches(m({}, "physical", {}, {}), ps));
  // database: never matches a physical slot
  EXPECT_TRUE(matches(m({}, {}, "app", {}), ls));
  EXPECT_FALSE(matches(m({}, {}, "app", {}), ps));
  // plugin
  EXPECT_TRUE(matches(m({}, "logical", {}, "wal2json"), ls));
  EXPECT_FALSE(matches(m({}, "logical", {}, "pgoutput"), ls));
  // all four
  EXPECT_TRUE(matches(m("adhoc", "logical", "app", "wal2json"), ls));
  EXPECT_FALSE(matches(m("adhoc", "logical", "app2", "wal2json"), ls));
}

TEST(IgnoreSlots, AnyMatcherIgnores) {
  std::vector<ignore_matcher> list{{"a", {}, {}, {}}, {{}, "physical", {}, {}}};
  EXPECT_TRUE(is_ignored(list, physical("x", 1)));
  EXPECT_TRUE(is_ignored(list, logical("a", "d", "p")));
  EXPECT_FALSE(is_ignored(list, logical("b", "d", "p")));
  EXPECT_FALSE(is_ignored({}, logical("b", "d", "p")));
}

// §2.3.5: temporary slots always hidden; failover+synced hidden from 17.
TEST(VisibleSlots, HidesTemporaryAndSyncedFailoverSlots) {
  auto tmp = physical("pg_basebackup_1", 10);
  tmp.temporary = true;
  auto synced = logical("native", "app", "pgoutput");
  synced.failover = synced.synced = true;
  auto unsynced = logical("native2", "app", "pgoutput");
  unsynced.failover = true;
  auto all = cache_of({tmp, synced, unsynced, physical("p", 1)});
  EXPECT_EQ(visible_slots(all, 16).size(), 3u);
  EXPECT_FALSE(visible_slots(all, 16).contains("pg_basebackup_1"));
  auto v17 = visible_slots(all, 17);
  EXPECT_EQ(v17.size(), 2u);
  EXPECT_TRUE(v17.contains("native2"));
  EXPECT_TRUE(v17.contains("p"));
}

// What a leader publishes: logical → confirmed_flush, physical →
// restart_lsn, own member slot → current WAL position.
TEST(PositionsOf, LogicalFlushPhysicalRestartAndOwnWal) {
  auto slots = cache_of({logical("ls", "a", "b", 12345), physical("blabla", 12344), physical("fresh", {}),
                         physical("zero", 0)});
  slot_positions want{{"blabla", L(12344)}, {"leader", L(99999)}, {"ls", L(12345)}};
  EXPECT_EQ(positions_of(slots, std::pair<std::string, pg::lsn>{"leader", L(99999)}), want);
  EXPECT_EQ(positions_of(slots).size(), 2u);
}

} // namespace
} // namespace slotd::model
