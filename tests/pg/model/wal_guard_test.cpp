// The WAL-retention guard (pg/model/wal_guard.hpp): alert levels per slot,
// the growth of the WAL kept by slots, the disk-full forecast.
#include <gtest/gtest.h>

#include "model_fixtures.hpp"
#include "pg/model/wal_guard.hpp"

namespace slotd::model {
namespace {

using namespace std::chrono_literals;

guard_clock::time_point S(int seconds) { return guard_clock::time_point{} + std::chrono::seconds(1000 + seconds); }

slot_figures kept(const std::string& name, std::optional<std::uint64_t> bytes) {
  slot_figures f;
  f.name = name;
  f.type = slot_type::logical;
  f.retained_bytes = bytes;
  return f;
}

std::map<std::string, permanent_slot> policy(const std::string& name, std::optional<std::uint64_t> warn,
                                             std::optional<std::uint64_t> limit) {
  permanent_slot s;
  s.name = name;
  s.type = slot_type::logical;
  s.retention = {warn, limit};
  return {{name, s}};
}

TEST(WalGuard, LevelsAgainstTheSlotsPolicy) {
  auto p = policy("cdc", 1000, 5000);
  auto judge = [&](std::uint64_t bytes) { return judge_wal_retention({kept("cdc", bytes)}, p, {}, std::nullopt, S(0)); };
  EXPECT_EQ(judge(999).slots.at(0).level, retention_level::ok);
  EXPECT_EQ(judge(1000).slots.at(0).level, retention_level::warn);
  EXPECT_EQ(judge(1000).slots.at(0).threshold, 1000u);
  EXPECT_EQ(judge(5000).slots.at(0).level, retention_level::limit);
  EXPECT_EQ(judge(5000).slots.at(0).threshold, 5000u);
  auto only_limit = policy("cdc", std::nullopt, 5000);
  EXPECT_EQ(judge_wal_retention({kept("cdc", 4000)}, only_limit, {}, std::nullopt, S(0)).slots.at(0).level,
            retention_level::ok);
}

TEST(WalGuard, SlotsWithoutAPolicyOrAPositionAreNotJudged) {
  auto v = judge_wal_retention({kept("other", 9000), kept("cdc", std::nullopt)}, policy("cdc", 1, 2), {}, 100, S(0));
  EXPECT_TRUE(v.slots.empty());
  auto none = policy("cdc", std::nullopt, std::nullopt);
  EXPECT_TRUE(judge_wal_retention({kept("cdc", 9000)}, none, {}, 100, S(0)).slots.empty());
}

TEST(WalGuard, GrowthIsTheSlopeOfTheMostWalKeptAndGivesTheForecast) {
  wal_usage_history h;
  record_wal_usage(h, {kept("a", 1000), kept("b", 100)}, S(0));
  record_wal_usage(h, {kept("a", 1500), kept("b", 5100)}, S(20));
  record_wal_usage(h, {kept("a", 2000), kept("b", 10100)}, S(40));
  auto v = judge_wal_retention({}, {}, h, 5000000, S(40));
  ASSERT_TRUE(v.growth_bytes_per_second);
  EXPECT_DOUBLE_EQ(*v.growth_bytes_per_second, 227.5) << "least squares over the maxima 1000, 5100, 10100";
  ASSERT_TRUE(v.full_forecast_seconds);
  EXPECT_NEAR(*v.full_forecast_seconds, 5000000 / 227.5, 1e-6);
  EXPECT_FALSE(v.forecast_alert) << "about 22000 s is more than an hour";
  auto close = judge_wal_retention({}, {}, h, 500000, S(40));
  EXPECT_TRUE(close.forecast_alert) << "about 2200 s to full";
}

TEST(WalGuard, ASmallStuckSlotUnderALargerOneGrowsThePoolOnlyOnceItIsTheLargest) {
  wal_usage_history h;
  // "big" keeps 1 MB and holds steady; "stuck" grows 1000 bytes/s from 0.
  for (int i = 0; i <= 4; ++i)
    record_wal_usage(h, {kept("big", 1000000), kept("stuck", static_cast<std::uint64_t>(i) * 10000)}, S(i * 10));
  auto v = judge_wal_retention({}, {}, h, 100000000, S(40));
  EXPECT_EQ(v.growth_bytes_per_second, 0.0) << "pg_wal holds the larger slot's WAL: no growth yet";
}

TEST(WalGuard, AHistoryWithNoRecentEntryGivesNoGrowth) {
  wal_usage_history h;
  for (int i = 0; i <= 4; ++i)
    record_wal_usage(h, {kept("a", static_cast<std::uint64_t>(i) * 10000)}, S(i * 10));
  EXPECT_TRUE(judge_wal_retention({}, {}, h, 1000, S(60)).growth_bytes_per_second);
  auto stale = judge_wal_retention({}, {}, h, 1000, S(40 + 121));
  EXPECT_FALSE(stale.growth_bytes_per_second) << "no details for over 2 minutes: the growth is not known";
  EXPECT_FALSE(stale.forecast_alert);
}

TEST(WalGuard, ASawtoothOfBatchedConfirmationsIsItsTrendNotItsLastStep) {
  wal_usage_history h;
  // A consumer that confirms every 20 s: kept WAL climbs 1000 bytes, drops back.
  for (int i = 0; i <= 8; ++i)
    record_wal_usage(h, {kept("a", i % 2 == 0 ? 0 : 1000)}, S(i * 10));
  auto v = judge_wal_retention({}, {}, h, 1000, S(80));
  ASSERT_TRUE(v.growth_bytes_per_second);
  EXPECT_LT(*v.growth_bytes_per_second, 5.0) << "the last step alone would read as 100 bytes/s";
  EXPECT_FALSE(v.forecast_alert);
}

TEST(WalGuard, ASlotThatAppearedWithinTheWindowDoesNotCountAsGrowth) {
  wal_usage_history h;
  record_wal_usage(h, {kept("a", 100)}, S(0));
  record_wal_usage(h, {kept("a", 100)}, S(20));
  record_wal_usage(h, {kept("a", 100), kept("copied", 900000000)}, S(40));
  auto v = judge_wal_retention({}, {}, h, 1000, S(40));
  EXPECT_EQ(v.growth_bytes_per_second, 0.0) << "the copy's kept WAL is a step, not growth";
  EXPECT_FALSE(v.full_forecast_seconds);
}

TEST(WalGuard, NoForecastWithoutGrowthEnoughHistoryOrFreeSpace) {
  wal_usage_history h;
  record_wal_usage(h, {kept("a", 1000)}, S(0));
  record_wal_usage(h, {kept("a", 5000)}, S(10));
  record_wal_usage(h, {kept("a", 9000)}, S(20));
  EXPECT_FALSE(judge_wal_retention({}, {}, h, 100, S(20)).growth_bytes_per_second) << "20 s of history is too short";
  record_wal_usage(h, {kept("a", 500)}, S(60));
  record_wal_usage(h, {kept("a", 100)}, S(70));
  auto shrinking = judge_wal_retention({}, {}, h, 100, S(70));
  EXPECT_EQ(shrinking.growth_bytes_per_second, 0.0) << "recycled WAL: no growth";
  EXPECT_FALSE(shrinking.full_forecast_seconds);
  record_wal_usage(h, {kept("a", 90000)}, S(80));
  record_wal_usage(h, {kept("a", 190000)}, S(90));
  EXPECT_TRUE(judge_wal_retention({}, {}, h, 100, S(90)).full_forecast_seconds);
  EXPECT_FALSE(judge_wal_retention({}, {}, h, std::nullopt, S(90)).full_forecast_seconds) << "free space unknown";
}

TEST(WalGuard, HistoryKeepsOnlyTheWindow) {
  wal_usage_history h;
  record_wal_usage(h, {kept("a", 1)}, S(0));
  record_wal_usage(h, {kept("a", 2)}, S(200));
  record_wal_usage(h, {kept("a", 3)}, S(400));
  ASSERT_EQ(h.kept.size(), 2u);
  EXPECT_EQ(h.kept.front().first, S(200));
  record_wal_usage(h, {kept("a", std::nullopt)}, S(500));
  EXPECT_EQ(h.kept.size(), 2u) << "nothing known: nothing recorded";
}

// The free space of pg_wal's file system is read at the first chance, then
// at most every wal_free_probe_interval (it feeds only the forecast, whose
// alert is an hour ahead); a clock that went back does not hold it.
TEST(WalGuard, FreeSpaceIsProbedFirstThenAtMostEveryInterval) {
  const auto t0 = guard_clock::time_point{} + std::chrono::hours(1);
  EXPECT_TRUE(wal_free_probe_due(std::nullopt, t0));
  EXPECT_FALSE(wal_free_probe_due(t0, t0));
  EXPECT_FALSE(wal_free_probe_due(t0, t0 + wal_free_probe_interval - std::chrono::milliseconds(1)));
  EXPECT_TRUE(wal_free_probe_due(t0, t0 + wal_free_probe_interval));
  EXPECT_TRUE(wal_free_probe_due(t0, t0 - std::chrono::seconds(1)));
  EXPECT_GE(wal_free_probe_interval, std::chrono::seconds(2)) << "not every cycle at the usual loop_wait";
  EXPECT_LE(wal_free_probe_interval, std::chrono::duration_cast<std::chrono::seconds>(wal_full_alert) / 60);
}

} // namespace
} // namespace slotd::model
