// What operators watch per slot (docs/api.md, GET /status "slots" and the
// slotd_slot_* / slotd_copy_* metrics), on real servers: the consumer lag
// and retained WAL against positions the server reports, a copy behind the
// leader while the replica's replay is paused, the walsender that uses a
// slot, and when an unused slot was last used.
#include <thread>

#include "tests/actors/agent_fixture.hpp"
#include "tests/actors/walsender_consumer.hpp"
#include "tests/app/prometheus_parser.hpp"

using namespace slotd;
using namespace slotd::testing;

namespace {

// pg_wal_lsn_diff(a, b) as the server computes it.
std::int64_t lsn_diff(const node& on, const std::string& a, const std::string& b) {
  return std::stoll(on.scalar("SELECT pg_wal_lsn_diff('" + a + "', '" + b + "')::bigint").value());
}

json slot_status(agents& a, const std::string& name, const std::string& slot) {
  auto s = a.status(name);
  return s["slots"].contains(slot) ? s["slots"][slot] : json();
}

} // namespace

// On the primary: the consumer lag and the retained WAL are exactly the
// distance from the server's position (the status's optime) to the slot's
// confirmed_flush_lsn and restart_lsn, and they grow with unconsumed WAL.
TEST(slot_figures, primary_lag_and_retained_wal_match_the_servers_positions) {
  cdc_pair x;
  x.p.exec("CREATE TABLE t (id int primary key, pad text)", "app");
  x.start();
  ASSERT_TRUE(x.a.wait_ready("node2", 60s)) << x.a.readiness("node2").dump(2);
  x.p.exec("INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 2000) g", "app");
  auto cf = slot_attr(x.p, "cdc", "confirmed_flush_lsn").value();
  auto restart = slot_attr(x.p, "cdc", "restart_lsn").value();
  json cdc;
  std::string optime;
  // The next full cycle reads the position after the insert; the idle
  // server's WAL position then stays put, so the figures must match it.
  ASSERT_TRUE(eventually(
      [&] {
        auto s = x.a.status("node1");
        optime = s["optime"].is_string() ? s["optime"].get<std::string>() : "";
        cdc = s["slots"]["cdc"];
        return !optime.empty() && lsn_diff(x.p, optime, cf) > 400000 && cdc["confirmed_lag_bytes"].is_number();
      },
      30s))
      << x.a.status("node1").dump(2);
  EXPECT_EQ(cdc["confirmed_lag_bytes"].get<std::int64_t>(), lsn_diff(x.p, optime, cf)) << cdc.dump(2);
  EXPECT_EQ(cdc["retained_bytes"].get<std::int64_t>(), lsn_diff(x.p, optime, restart)) << cdc.dump(2);
  EXPECT_EQ(cdc["active"], false);
  EXPECT_TRUE(cdc["unmoved_seconds"].is_number());
  if (pg_install::current().major >= 13) {
    EXPECT_EQ(cdc["wal_status"], "reserved");
  }
  // node2's physical slot: streamed by node2's walreceiver.
  auto phys = slot_status(x.a, "node1", "node2");
  ASSERT_TRUE(phys.is_object());
  EXPECT_EQ(phys["active"], true);
  EXPECT_FALSE(phys.contains("confirmed_lag_bytes"));
}

// A copy on a replica whose replay is paused falls behind the leader's slot
// by exactly the distance between the two confirmed_flush_lsn, in seconds
// that grow; once replay resumes the copy catches up and is 0 behind.
TEST(slot_figures, a_copy_behind_the_leader_in_bytes_and_seconds) {
  cdc_pair x;
  x.p.exec("CREATE TABLE t (id int primary key)", "app");
  x.p.exec("SELECT pg_create_logical_replication_slot('cdc', 'test_decoding')", "app");
  x.start();
  ASSERT_TRUE(x.a.wait_ready("node2", 90s)) << x.a.readiness("node2").dump(2);
  x.r.exec("SELECT pg_wal_replay_pause()");
  x.p.exec("INSERT INTO t SELECT generate_series(1, 500)", "app");
  x.p.query("SELECT data FROM pg_logical_slot_get_changes('cdc', NULL, NULL)", "app");
  auto leader_cf = slot_attr(x.p, "cdc", "confirmed_flush_lsn").value();
  json behind;
  ASSERT_TRUE(eventually(
      [&] {
        behind = slot_status(x.a, "node2", "cdc")["behind_leader"];
        return behind.is_object() && behind["bytes"].get<std::int64_t>() > 0 && behind["seconds"].get<double>() > 0.5;
      },
      30s))
      << x.a.status("node2").dump(2);
  auto copy_cf = slot_attr(x.r, "cdc", "confirmed_flush_lsn").value();
  auto s = x.a.status("node2");
  EXPECT_EQ(s["slots"]["cdc"]["behind_leader"]["bytes"].get<std::int64_t>(), lsn_diff(x.p, leader_cf, copy_cf))
      << s.dump(2);
  EXPECT_TRUE(s["leader_sample_age_seconds"].is_number());
  EXPECT_LT(s["leader_sample_age_seconds"].get<double>(), 5.0) << "the leader is sampled all along";
  auto first = s["slots"]["cdc"]["behind_leader"]["seconds"].get<double>();
  std::this_thread::sleep_for(1500ms);
  auto later = slot_status(x.a, "node2", "cdc");
  EXPECT_GT(later["behind_leader"]["seconds"].get<double>(), first + 0.5) << later.dump(2);
  EXPECT_GT(later["unmoved_seconds"].get<double>(), 1.0) << "the copy cannot move while replay is paused";

  x.r.exec("SELECT pg_wal_replay_resume()");
  ASSERT_TRUE(eventually(
      [&] {
        auto b = slot_status(x.a, "node2", "cdc")["behind_leader"];
        return b.is_object() && b["bytes"] == 0 && b["seconds"] == 0;
      },
      30s))
      << x.a.status("node2").dump(2);
}

// The walsender that streams a slot shows as its consumer (application
// name, address, backend type) in /status and slotd_slot_consumer_info;
// once it disconnects the slot shows when it was last used.
TEST(slot_figures, the_consumer_of_an_active_slot_and_the_last_use_of_an_unused_one) {
  cdc_pair x;
  x.p.exec("SELECT pg_create_logical_replication_slot('cdc', 'test_decoding')", "app");
  x.start();
  auto consumer = std::make_unique<walsender_consumer>(x.p, "cdc", "orders_cdc");
  json cdc;
  ASSERT_TRUE(eventually(
      [&] {
        cdc = slot_status(x.a, "node1", "cdc");
        return cdc["active"] == true && cdc["consumer"].is_object();
      },
      30s))
      << x.a.status("node1").dump(2);
  EXPECT_EQ(cdc["consumer"]["application_name"], "orders_cdc") << cdc.dump(2);
  EXPECT_EQ(cdc["consumer"]["client_addr"], "127.0.0.1");
  EXPECT_EQ(cdc["consumer"]["backend_type"], "walsender");
  EXPECT_TRUE(cdc["consumer"]["backend_start"].is_string());
  EXPECT_FALSE(cdc.contains("inactive_seconds")) << "an active slot is not inactive";
  auto parsed = parse_exposition(x.a.metrics("node1"));
  EXPECT_TRUE(parsed.problems.empty()) << ::testing::PrintToString(parsed.problems);
  bool info = false;
  for (auto& sample : parsed.samples)
    if (sample.name == "slotd_slot_consumer_info" && sample.labels["slot"] == "cdc")
      info = sample.labels["application_name"] == "orders_cdc" && sample.labels["backend_type"] == "walsender" &&
             sample.labels["client_addr"] == "127.0.0.1" && sample.value == 1;
  EXPECT_TRUE(info) << x.a.metrics("node1");

  auto released = std::chrono::system_clock::now();
  consumer->close();
  ASSERT_TRUE(eventually(
      [&] {
        cdc = slot_status(x.a, "node1", "cdc");
        return cdc["active"] == false && cdc["last_active"].is_string();
      },
      30s))
      << x.a.status("node1").dump(2);
  EXPECT_FALSE(cdc.contains("consumer"));
  EXPECT_TRUE(cdc["inactive_seconds"].is_number());
  std::this_thread::sleep_for(1500ms);
  auto later = slot_status(x.a, "node1", "cdc");
  EXPECT_GT(later["inactive_seconds"].get<double>(), 1.0) << later.dump(2);
  auto since = std::chrono::duration<double>(std::chrono::system_clock::now() - released).count();
  EXPECT_LE(later["inactive_seconds"].get<double>(), since + 2.5)
      << "last used about when the consumer left (within one cycle)";
}
