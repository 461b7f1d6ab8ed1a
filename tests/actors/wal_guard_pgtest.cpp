// The WAL-retention guard on a real server (docs/operations.md): an unused
// slot keeps the WAL written after it, its configured levels turn into
// alerts as that WAL grows, and while WAL keeps growing the guard measures
// the growth and forecasts when pg_wal's file system fills.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

#include "tests/actors/agent_fixture.hpp"
#include "tests/actors/walsender_consumer.hpp"
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

// slots.NAME.retention.action drop_inactive (§3.13 rule 8): on the primary
// an inactive slot is dropped once it keeps its limit, with an audit line,
// and created again at the current position; a slot held by a walsender
// with the same policy keeps alerting and is never dropped.
TEST(wal_guard, drop_inactive_drops_an_idle_slot_at_its_limit_and_never_an_active_one) {
  cdc_pair x;
  x.p.exec("CREATE TABLE t (id int, pad text)", "app");
  auto idle = logical_slot("idle", "app", "test_decoding");
  // warn 4MB, limit 32MB, dropped after 2 s seen inactive.
  idle.retention = {4ull << 20, 32ull << 20, model::retention_action::drop_inactive, 2s};
  auto busy = logical_slot("busy", "app", "test_decoding");
  busy.retention = idle.retention;
  x.view.slots["idle"] = idle;
  x.view.slots["busy"] = busy;
  x.start(x.p);
  ASSERT_TRUE(eventually([&] { return slot_attr(x.p, "idle", "slot_name") && slot_attr(x.p, "busy", "slot_name"); }, 30s))
      << x.a.status("node1").dump(2);
  // busy: streamed by a consumer that confirms nothing (active, keeping
  // WAL); it answers keepalives, so wal_sender_timeout does not end it.
  walsender_consumer holder(x.p, "busy", "holder", true);
  holder.stop_confirming();
  ASSERT_TRUE(eventually([&] { return slot_attr(x.p, "busy", "active::text") == "true"; }, 10s)) << holder.error();
  const auto first = slot_attr(x.p, "idle", "restart_lsn").value();

  write_wal(x.p, 8);
  ASSERT_TRUE(eventually([&] { return level_of(x.a, "idle") == "warn"; }, 30s)) << x.a.status("node1").dump(2);
  EXPECT_EQ(slot_attr(x.p, "idle", "restart_lsn"), first) << "not dropped below its limit";

  write_wal(x.p, 40);
  json drop;
  ASSERT_TRUE(eventually([&] {
    const json events = x.a.events("node1")["events"]; // a copy: the range must outlive the loop
    for (auto& e : events)
      if (e["action"] == "drop" && e["slot"] == "idle") {
        drop = e;
        return true;
      }
    return false;
  }, 30s)) << x.a.events("node1").dump(2);
  EXPECT_EQ(drop["rule"], "§3.13 rule 8 (retention limit, action drop_inactive)");
  EXPECT_EQ(drop["actor"], "local_connection");
  EXPECT_TRUE(drop["before"].is_string()) << drop.dump();
  // Created again where the WAL is now: it keeps little, its level is ok.
  ASSERT_TRUE(eventually([&] {
    auto r = slot_attr(x.p, "idle", "restart_lsn");
    return r && *r != first && lsn_le(x.p, first, *r) && level_of(x.a, "idle") == "ok";
  }, 30s)) << x.a.status("node1")["wal_guard"].dump(2);
  bool created_again = false;
  const json after_drop = x.a.events("node1", drop["seq"].get<std::uint64_t>())["events"];
  for (auto& e : after_drop)
    created_again = created_again || (e["action"] == "create" && e["slot"] == "idle");
  EXPECT_TRUE(created_again) << x.a.events("node1").dump(2);

  // The active one: at its limit, alerting, never dropped.
  ASSERT_TRUE(eventually([&] { return level_of(x.a, "busy") == "limit"; }, 30s)) << x.a.status("node1").dump(2);
  EXPECT_TRUE(has_alert_for(x.a, "busy", "retention limit"));
  EXPECT_EQ(slot_attr(x.p, "busy", "active::text"), "true") << holder.error();
  const json all_events = x.a.events("node1")["events"];
  for (auto& e : all_events)
    EXPECT_FALSE(e["action"] == "drop" && e["slot"] == "busy") << e.dump();
  // Not even planned (an active slot is never inactive long enough): a
  // planned drop says "dropping slot" in the cycle's diagnostics.
  for (auto& d : x.a.dump("node1")["ha_loop"]["diagnostics"])
    EXPECT_EQ(d.get<std::string>().find("dropping slot busy"), std::string::npos) << d;
}

namespace {

// A tmpfs mounted for one test (root only), unmounted and removed after.
class tmpfs_mount {
public:
  tmpfs_mount(fs::path at, const std::string& size) : at_(std::move(at)) {
    fs::create_directories(at_);
    mounted_ = std::system(("mount -t tmpfs -o size=" + size + " slotd-test-walfs " + at_.string()).c_str()) == 0;
  }
  ~tmpfs_mount() {
    if (mounted_)
      (void)std::system(("umount -l " + at_.string()).c_str());
    std::error_code ec;
    fs::remove_all(at_, ec);
  }
  tmpfs_mount(const tmpfs_mount&) = delete;
  tmpfs_mount& operator=(const tmpfs_mount&) = delete;
  bool mounted() const { return mounted_; }
  const fs::path& path() const { return at_; }

private:
  fs::path at_;
  bool mounted_ = false;
};

} // namespace

// pg_wal on a small file system of its own (a 256 MiB tmpfs through
// pg_wal's symlink): the guard reads that file system's free space, sees it
// fall as an unused slot keeps the WAL written, the slot's level rise, and
// with drop_inactive the primary drops it at its limit.
TEST(wal_guard, on_a_small_tmpfs_the_guard_reads_its_space_and_drop_inactive_acts_at_the_limit) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "mounting a tmpfs needs root (CI runs the suite as root)";
  tmpfs_mount walfs(fs::temp_directory_path() / ("slotd-walfs-" + std::to_string(::getpid())), "256m");
  if (!walfs.mounted())
    GTEST_SKIP() << "this root cannot mount a tmpfs (an unprivileged container?)";
  cluster c({.replicas = 0, .extra_conf = "max_wal_size = 96MB\nmin_wal_size = 32MB\n"});
  auto& p = c.primary();
  p.stop_fast();
  const auto wal = p.data_dir() / "pg_wal";
  const auto moved = "cp -a " + wal.string() + "/. " + walfs.path().string() + "/ && rm -rf " + wal.string() +
                     " && ln -s " + walfs.path().string() + " " + wal.string() + " && chown -h postgres:postgres " +
                     wal.string() + " " + walfs.path().string();
  ASSERT_EQ(std::system(moved.c_str()), 0) << moved;
  p.start();
  p.exec("CREATE TABLE t (id int, pad text)", "app");
  auto idle = logical_slot("idle", "app", "test_decoding");
  idle.retention = {16ull << 20, 64ull << 20, model::retention_action::drop_inactive, 2s}; // warn 16MB, limit 64MB
  agents a;
  a.start(p, view_of(c, {idle}));
  auto free_now = [&] {
    auto g = a.status("node1")["wal_guard"];
    return g["free_bytes"].is_number() ? g["free_bytes"].get<double>() : -1.0;
  };
  ASSERT_TRUE(eventually([&] { return slot_attr(p, "idle", "slot_name") && free_now() > 0; }, 30s))
      << a.status("node1").dump(2);
  auto space = fs::space(walfs.path());
  EXPECT_LE(free_now(), 256.0 * (1 << 20)) << "the tmpfs's space, not the data directory's file system";
  EXPECT_NEAR(free_now(), static_cast<double>(space.available), 16.0 * (1 << 20));
  const auto free_before = free_now();

  // WAL written 8 MB at a time: the slot keeps it, the free space falls,
  // the level rises, and at the limit the inactive slot is dropped.
  std::set<std::string> levels;
  double lowest = free_before;
  bool dropped = false;
  for (int i = 0; i < 24 && !dropped; ++i) {
    write_wal(p, 8);
    std::this_thread::sleep_for(1500ms); // a cycle (loop_wait 1 s) reads the details
    levels.insert(level_of(a, "idle"));
    if (const auto f = free_now(); f >= 0)
      lowest = std::min(lowest, f);
    const json events = a.events("node1")["events"];
    for (auto& e : events)
      dropped = dropped || (e["action"] == "drop" && e["slot"] == "idle");
  }
  ASSERT_TRUE(dropped) << a.status("node1").dump(2);
  EXPECT_TRUE(levels.contains("warn")) << ::testing::PrintToString(levels);
  // The guard followed the tmpfs as it filled: the same free space as
  // statvfs there, after it fell by more than the 16 MiB tolerance. It is
  // read at most every 10 s (model::wal_free_probe_interval): within that.
  EXPECT_TRUE(eventually(
      [&] {
        const auto f = free_now(); // -1: not read
        if (f >= 0)
          lowest = std::min(lowest, f);
        return f >= 0 && std::abs(f - static_cast<double>(fs::space(walfs.path()).available)) <= 16.0 * (1 << 20);
      },
      15s))
      << free_now() << " against " << fs::space(walfs.path()).available;
  EXPECT_LT(lowest, free_before - 32.0 * (1 << 20)) << "WAL written on the tmpfs";
  // Created again: it keeps little, its level is ok.
  EXPECT_TRUE(eventually([&] { return level_of(a, "idle") == "ok"; }, 30s)) << a.status("node1")["wal_guard"].dump(2);
  a.of("node1").shutdown();
  p.stop_fast(); // before the tmpfs goes
}
