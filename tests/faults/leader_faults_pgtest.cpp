// Faults on the way to the leader, on real servers: the leader blackholed
// for 60 s (connections open, nothing answers), the leader restarted while
// a copy fetches its slot files, and SIGHUP moving the leader while a copy
// fetches. The replica's agent reaches the leader through a TCP proxy that
// the test holds and releases.
#include <csignal>

#include "tests/faults/slotd_process.hpp"
#include "tests/faults/tcp_proxy.hpp"

namespace slotd::testing {
namespace {

// node1's agent as usual; node2's agent reaches node1 through `proxy` and
// follows it once told (demote), as an HA manager would tell it.
struct proxied_pair {
  proxied_pair() : proxy(t.p.port()) {
    t.p.exec("CREATE TABLE t (id int primary key)", "app");
    view = t.view;
    view.members["node1"].port = proxy.port();
  }
  void start(agent_options o = {}) {
    t.start(t.p);
    ASSERT_TRUE(eventually([&] { return slots_of(t.p).contains("cdc"); }));
    o.role = config::start_role::wait;
    t.a.start(t.r, view, o);
    auto d = t.a.demote("node2", "node1");
    ASSERT_EQ(d.refused, actors::refusal::none) << d.error;
  }
  cdc_pair t;
  tcp_proxy proxy;
  model::cluster_view view;
};

// The leader blackholed for 60 s: the agent keeps answering, keeps its
// copy, never restarts the replica; once the network is back it follows
// the leader's slot again; and a promote while the leader is blackholed
// answers within its deadline.
TEST(LeaderFaults, LeaderBlackholedForSixtySeconds) {
  proxied_pair x;
  auto& t = x.t;
  ASSERT_NO_FATAL_FAILURE(x.start());
  ASSERT_TRUE(t.a.wait_ready("node2")) << t.a.readiness("node2").dump(2);
  write_and_consume(t.p, 1, 100);
  auto leader_cf = cdc_flush(t.p).value();
  ASSERT_TRUE(eventually([&] { return lsn_le(t.p, leader_cf, cdc_flush(t.r).value_or("0/0")); }, 30s));
  auto started = started_at(t.r);
  auto before = cdc_flush(t.r).value();

  x.proxy.hold_all(true);
  auto until = std::chrono::steady_clock::now() + 60s;
  int round = 0;
  bool alerted = false;
  while (std::chrono::steady_clock::now() < until) {
    write_and_consume(t.p, 1000 + 100 * round, 100);
    ++round;
    auto st = t.a.status("node2"); // answers within the fixture's deadline, or the test fails here
    ASSERT_TRUE(st.contains("role")) << st.dump(2);
    alerted = alerted || st["alerts"].dump().find("leader unreachable") != std::string::npos;
    ASSERT_TRUE(runs_with_slot(t.r, "cdc")) << "the copy went away while the leader was unreachable: " << t.loop().dump(2);
    EXPECT_EQ(started_at(t.r), started) << "the replica was restarted";
    // The copy never moves past what the leader last said.
    EXPECT_TRUE(lsn_le(t.p, cdc_flush(t.r).value(), before));
    std::this_thread::sleep_for(5s);
  }
  EXPECT_TRUE(alerted) << "60 s without an answer from the leader and no alert: " << t.a.status("node2").dump(2);

  x.proxy.hold_all(false);
  leader_cf = cdc_flush(t.p).value();
  EXPECT_TRUE(eventually([&] { return lsn_le(t.p, leader_cf, cdc_flush(t.r).value_or("0/0")); }, 60s))
      << "the copy did not follow the leader after the network came back: " << t.loop().dump(2);
  EXPECT_TRUE(eventually([&] { return t.a.status("node2")["alerts"].dump().find("leader unreachable") ==
                                      std::string::npos; }, 30s));
  EXPECT_EQ(started_at(t.r), started);
  EXPECT_EQ(t.loop()["restarts"], 1) << "only the first copy restarts the replica";

  // The failover case: the leader is unreachable when the HA manager
  // promotes. The final advance cannot ask it; the reply comes anyway.
  x.proxy.hold_all(true);
  std::this_thread::sleep_for(3s);
  auto t0 = std::chrono::steady_clock::now();
  auto r = t.a.promote("node2", 30s);
  EXPECT_EQ(r.refused, actors::refusal::none) << r.error;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 31s);
  // Told primary; the server leaves recovery when the HA manager promotes it.
  EXPECT_EQ(t.a.status("node2")["role"], "promoting") << t.a.status("node2").dump(2);
  EXPECT_TRUE(runs_with_slot(t.r, "cdc"));
}

// The leader restarts while a copy's fetch waits on it: the copy ends
// before any stop (no restart for it), and the next one installs the slot.
TEST(LeaderFaults, LeaderRestartedDuringTheFetch) {
  proxied_pair x;
  auto& t = x.t;
  x.proxy.hold_on("pg_read_binary_file");
  ASSERT_NO_FATAL_FAILURE(x.start());
  ASSERT_TRUE(eventually([&] { return x.proxy.held(); }, 30s)) << t.loop().dump(2);
  auto c = t.loop()["copy"];
  ASSERT_TRUE(c.is_object() && c["phase"] == "fetching") << t.loop().dump(2);
  auto started = started_at(t.r);
  t.p.restart();
  x.proxy.release();
  ASSERT_TRUE(eventually([&] { return runs_with_slot(t.r, "cdc"); }, 90s)) << t.loop().dump(2);
  EXPECT_NE(started_at(t.r), started) << "the copy after the failed fetch restarts the replica once";
  // The copier reports just after the server accepts connections.
  EXPECT_TRUE(eventually([&] { return t.a.dump("node2")["ha_loop"]["restarts"] == 1; }, 10s));
  auto d = t.a.dump("node2");
  EXPECT_EQ(d["ha_loop"]["restarts"], 1) << d.dump(2);
  EXPECT_GE(d["slot_copier"]["failures"].get<int>(), 1) << d.dump(2);
  EXPECT_TRUE(t.a.wait_ready("node2")) << t.a.readiness("node2").dump(2);
  // A failed fetch is not a re-copy: nothing is counted against the slot.
  EXPECT_FALSE(fs::exists(fs::path(t.r.data_dir().string() + ".slotd") / "recopies"));
}

// A failover while a copy fetches from the old leader: the HA manager
// promotes node2, points node3's server at it and tells node3's agent
// (demote). The copy from node1 is dropped before any stop, and the slot is
// copied from node2, with one restart in all. (SIGHUP changes the view, not
// whom the agent follows: that is the demote's job.)
TEST(LeaderFaults, FailoverToAnotherLeaderDuringTheFetch) {
  cluster c({.replicas = 2});
  auto& p = c.primary();
  auto& r1 = c.replica(0);
  auto& r2 = c.replica(1);
  tcp_proxy proxy(p.port());
  proxy.hold_on("pg_read_binary_file");
  auto view = view_of(c, {logical_slot("cdc", "app", "test_decoding")});
  auto proxied = view;
  proxied.members["node1"].port = proxy.port(); // node3 reaches node1 through the proxy only
  agents a;
  a.start(p, view);
  ASSERT_TRUE(eventually([&] { return slots_of(p).contains("cdc"); }));
  a.start(r1, view);
  ASSERT_TRUE(a.wait_ready("node2")) << a.readiness("node2").dump(2);
  a.start(r2, proxied, {.role = config::start_role::wait});
  auto d = a.demote("node3", "node1");
  ASSERT_EQ(d.refused, actors::refusal::none) << d.error;
  ASSERT_TRUE(eventually([&] { return proxy.held(); }, 30s)) << a.dump("node3").dump(2);
  ASSERT_EQ(a.dump("node3")["ha_loop"]["copy"]["phase"], "fetching") << a.dump("node3").dump(2);

  p.stop_fast();
  auto promoted = a.promote("node2");
  ASSERT_EQ(promoted.refused, actors::refusal::none) << promoted.error;
  r1.promote();
  r2.follow(r1);
  auto moved = a.demote("node3", "node2");
  ASSERT_EQ(moved.refused, actors::refusal::none) << moved.error;
  // node1's files never arrive (the proxy holds them): a copy installed now
  // came from node2.
  ASSERT_TRUE(eventually([&] { return runs_with_slot(r2, "cdc"); }, 90s)) << a.dump("node3").dump(2);
  EXPECT_TRUE(proxy.held());
  proxy.release(); // the old fetch completes now (an error: node1 is down)
  EXPECT_TRUE(eventually([&] { return a.dump("node3")["slot_copier"]["restarts"] == 1; }, 10s))
      << a.dump("node3").dump(2);
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(a.dump("node3")["slot_copier"]["restarts"], 1) << "one restart: the copy from node2 only";
  EXPECT_EQ(a.status("node3")["leader"], "node2");
  EXPECT_TRUE(a.wait_ready("node3")) << a.readiness("node3").dump(2);
}

// SIGHUP moves the leader (its address in the members) while a copy
// fetches from the old address: the copy is dropped before any stop, and
// the slot is then copied from the new address, with one restart in all.
TEST(LeaderFaults, SighupMovingTheLeaderDuringTheFetch) {
  cdc_pair t;
  t.p.exec("CREATE TABLE t (id int primary key)", "app");
  tcp_proxy proxy(t.p.port());
  proxy.hold_on("pg_read_binary_file");
  t.start(t.p);
  ASSERT_TRUE(eventually([&] { return slots_of(t.p).contains("cdc"); }));
  int api = free_port();
  auto yaml = slotd_yaml(t.c, t.r, api);
  auto real = "port: " + std::to_string(t.p.port()) + "}";
  auto via_proxy = "port: " + std::to_string(proxy.port()) + "}";
  auto at = [&](std::string y, const std::string& from, const std::string& to) {
    auto pos = y.find(from);
    EXPECT_NE(pos, std::string::npos) << y;
    return y.replace(pos, from.size(), to);
  };
  auto moved = at(yaml, "role: auto", "role: wait");
  auto proxied = at(moved, real, via_proxy);
  auto cfg = write_config(t.c.dir() / "node2-slotd.yaml", proxied);
  slotd_process slotd(cfg, t.c.dir() / "node2-slotd.log");
  ASSERT_NO_FATAL_FAILURE(slotd.start());
  ASSERT_TRUE(eventually([&] { return http_call(api, "GET", "/health").status != 0; }, 30s)) << slotd.log();
  auto d = http_call(api, "POST", "/demote", R"({"leader":"node1"})");
  ASSERT_EQ(d.status, 200) << d.body;
  ASSERT_TRUE(eventually([&] { return proxy.held(); }, 30s)) << slotd.log();
  auto started = started_at(t.r);

  write_config(cfg, moved); // node1 now at its own port
  ::kill(slotd.pid(), SIGHUP);
  ASSERT_TRUE(eventually([&] { return slotd.log().find("configuration reloaded") != std::string::npos; }, 10s))
      << slotd.log();
  proxy.release(); // the old fetch completes now: too late
  ASSERT_TRUE(eventually([&] { return runs_with_slot(t.r, "cdc"); }, 90s)) << slotd.log();
  EXPECT_NE(started_at(t.r), started);
  auto log = slotd.log();
  EXPECT_NE(log.find("cancelled before the server was stopped"), std::string::npos) << log;
  auto status = json::parse(http_call(api, "GET", "/status").body);
  EXPECT_EQ(status["leader"], "node1");
  auto copier_restarts = [&] { return json::parse(http_call(api, "GET", "/state").body)["slot_copier"]["restarts"]; };
  EXPECT_TRUE(eventually([&] { return copier_restarts() == 1; }, 10s)) << http_call(api, "GET", "/state").body;
  EXPECT_EQ(copier_restarts(), 1);
  EXPECT_TRUE(eventually([&] { return http_call(api, "GET", "/health").status == 200; }, 30s));
  auto stopped = slotd.terminate();
  ASSERT_TRUE(stopped.has_value());
  EXPECT_TRUE(WIFEXITED(*stopped) && WEXITSTATUS(*stopped) == 0) << slotd.log();
}

} // namespace
} // namespace slotd::testing
