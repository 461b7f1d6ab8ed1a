// The WAL-retention guard on a real server (docs/operations.md): an unused
// slot keeps the WAL written after it, its configured levels turn into
// alerts as that WAL grows, and while WAL keeps growing the guard measures
// the growth and forecasts when pg_wal's file system fills.
#include <filesystem>
#include <thread>

#include "tests/actors/agent_fixture.hpp"
#include "tests/app/prometheus_parser.hpp"

using namespace slotd;
using namespace slotd::testing;

namespace {

// About `mb` MB of WAL on `n` (rows of incompressible text).
void write_wal(node& n, int mb) {
  n.exec("INSERT INTO t SELECT g, md5(g::text) || repeat(md5(random()::text), 30) FROM generate_series(1, " +
             std::to_string(mb * 900) + ") g",
         "app");
}

std::string level_of(agents& a, const std::string& slot) {
  auto g = a.status("node1")["wal_guard"]["slots"];
  return g.contains(slot) ? g[slot]["level"].get<std::string>() : "";
}

bool has_alert_for(agents& a, const std::string& slot, const std::string& word) {
  auto status = a.status("node1");
  for (auto& al : status["alerts"])
    if (al.value("slot", "") == slot && al["alert"].get<std::string>().find(word) != std::string::npos)
      return true;
  return false;
}

} // namespace

TEST(wal_guard, an_unused_slot_rises_through_its_retention_levels) {
  cdc_pair x;
  x.p.exec("CREATE TABLE t (id int, pad text)", "app");
  x.p.exec("SELECT pg_create_logical_replication_slot('cdc', 'test_decoding')", "app");
  x.view.slots["cdc"].retention = {4ull << 20, 32ull << 20}; // warn 4MB, limit 32MB
  x.start(x.p);
  ASSERT_TRUE(eventually([&] { return level_of(x.a, "cdc") == "ok"; }, 30s)) << x.a.status("node1").dump(2);
  EXPECT_FALSE(has_alert_for(x.a, "cdc", "retention"));

  write_wal(x.p, 8);
  ASSERT_TRUE(eventually([&] { return level_of(x.a, "cdc") == "warn"; }, 30s)) << x.a.status("node1").dump(2);
  EXPECT_TRUE(has_alert_for(x.a, "cdc", "retention warn")) << x.a.status("node1")["alerts"].dump(2);
  auto kept = x.a.status("node1")["wal_guard"]["slots"]["cdc"]["kept_bytes"].get<std::int64_t>();
  auto restart = slot_attr(x.p, "cdc", "restart_lsn").value();
  EXPECT_LE(kept, std::stoll(x.p.scalar("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '" + restart + "')::bigint").value()))
      << "the WAL kept is measured from the slot's restart_lsn";
  EXPECT_GE(kept, 4 << 20);

  write_wal(x.p, 40);
  ASSERT_TRUE(eventually([&] { return level_of(x.a, "cdc") == "limit"; }, 30s)) << x.a.status("node1").dump(2);
  EXPECT_TRUE(has_alert_for(x.a, "cdc", "retention limit"));
  auto parsed = parse_exposition(x.a.metrics("node1"));
  std::map<std::string, double> levels;
  for (auto& s : parsed.samples)
    if (s.name == "slotd_slot_retention_alert" && s.labels["slot"] == "cdc")
      levels[s.labels["level"]] = s.value;
  EXPECT_EQ(levels["warn"], 1);
  EXPECT_EQ(levels["limit"], 1);
  EXPECT_TRUE(slot_attr(x.p, "cdc", "slot_name")) << "the guard alerts; it never drops the slot";
}

TEST(wal_guard, growing_wal_gives_a_growth_rate_and_a_forecast_from_the_free_space) {
  cdc_pair x;
  x.p.exec("CREATE TABLE t (id int, pad text)", "app");
  x.p.exec("SELECT pg_create_logical_replication_slot('cdc', 'test_decoding')", "app");
  x.start(x.p);
  json guard;
  // WAL written all along for up to 90 s: the growth needs 30 s of history.
  ASSERT_TRUE(eventually(
      [&] {
        write_wal(x.p, 1);
        guard = x.a.status("node1")["wal_guard"];
        return guard["full_forecast_seconds"].is_number();
      },
      90s))
      << guard.dump(2);
  ASSERT_TRUE(guard["free_bytes"].is_number() && guard["growth_bytes_per_second"].is_number()) << guard.dump(2);
  auto free = guard["free_bytes"].get<double>();
  auto growth = guard["growth_bytes_per_second"].get<double>();
  // About 1 MB of WAL per poll of the loop above, a poll every few tens of ms.
  EXPECT_GT(growth, 50e3) << guard.dump(2);
  EXPECT_LT(growth, 50e6) << guard.dump(2);
  auto space = std::filesystem::space(x.p.data_dir() / "pg_wal");
  EXPECT_NEAR(free, static_cast<double>(space.available), 0.1 * static_cast<double>(space.available))
      << "the free space of pg_wal's file system";
  auto parsed = parse_exposition(x.a.metrics("node1"));
  bool forecast = false;
  for (auto& s : parsed.samples)
    forecast = forecast || (s.name == "slotd_wal_full_forecast_seconds" && s.value > 0);
  EXPECT_TRUE(forecast);
}
