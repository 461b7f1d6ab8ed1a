// Races and crashes around the agent on real servers: the local server
// killed with `kill -9` while its copies are advanced, promote and demote
// sent at the same time.
#include <thread>

#include "tests/actors/agent_fixture.hpp"

namespace slotd::testing {
namespace {

std::optional<std::string> cdc_confirmed(const node& n) {
  try {
    return n.scalar("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = 'cdc'");
  } catch (const harness_error&) {
    return std::nullopt;
  }
}

bool lsn_at_least(const node& n, const std::optional<std::string>& a, const std::string& b) {
  return a && n.scalar("SELECT '" + *a + "'::pg_lsn >= '" + b + "'::pg_lsn") == "t";
}

// The replica's server dies (kill -9) while its copy is being advanced; the
// HA manager (here: the test) starts it again. The agent reconnects, the
// copy is advanced again (advances on a standby are not persisted until a
// restartpoint: after the crash it may be back at an older position), and
// nothing is restarted by slotd.
TEST(RaceFaults, LocalServerKilledDuringAdvances) {
  cdc_pair t;
  t.p.exec("CREATE TABLE t (id int)", "app");
  t.start();
  ASSERT_TRUE(t.a.wait_ready("node2")) << t.a.readiness("node2").dump(2);
  auto consume = [&] {
    t.p.exec("INSERT INTO t SELECT generate_series(1, 500)", "app");
    t.p.query("SELECT 1 FROM pg_logical_slot_get_changes('cdc', NULL, NULL)", "app");
    return *t.p.scalar("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = 'cdc'");
  };
  consume();
  auto restarts_before = t.loop()["restarts"].get<int>();
  t.r.kill9();
  auto confirmed = consume();
  t.r.start();
  EXPECT_TRUE(eventually([&] { return lsn_at_least(t.p, cdc_confirmed(t.r), confirmed); }, 60s))
      << t.loop().dump(2);
  EXPECT_TRUE(eventually([&] {
    bool ok = false;
    caf::scoped_actor self{t.a.system()};
    self->request(t.a.of("node2").ha(), 10s, actors::health_atom_v)
        .receive([&](actors::health_view& h) { ok = h.ok; }, [&](caf::error&) {});
    return ok;
  }, 30s));
  EXPECT_EQ(t.loop()["restarts"].get<int>(), restarts_before) << "slotd restarted the server itself";
  EXPECT_TRUE(t.a.wait_ready("node2"));
}

// The same with an advance surely under way: while the replica's agent is
// down the leader's slot moves over a lot of WAL, so the new agent's first
// advance decodes for a while; the server is killed once
// pg_stat_activity shows that advance running.
TEST(RaceFaults, LocalServerKilledWhileAnAdvanceRuns) {
  cdc_pair t;
  t.p.exec("CREATE TABLE t (id int, pad text)", "app");
  t.start();
  ASSERT_TRUE(t.a.wait_ready("node2")) << t.a.readiness("node2").dump(2);
  auto restarts_before = t.loop()["restarts"].get<int>();
  t.a.stop("node2");
  for (int i = 0; i < 3; ++i)
    t.p.exec("INSERT INTO t SELECT g, repeat('x', 100) FROM generate_series(1, 200000) g", "app");
  t.p.exec("SELECT pg_replication_slot_advance('cdc', pg_current_wal_lsn())", "app");
  auto confirmed = cdc_confirmed(t.p).value();
  t.r.wait_replay(t.p.current_lsn(), 60s);
  // The advance may take well under 100 ms here: the replica itself looks
  // for it every 5 ms (a fresh statistics snapshot each time), from before
  // the agent starts; a poll from the test, one connection per look, could
  // miss it.
  bool running = false;
  std::string watch_error;
  std::thread watch([&] {
    try {
      t.r.exec("DO $$ BEGIN FOR i IN 1..6000 LOOP PERFORM pg_stat_clear_snapshot(); "
               "IF EXISTS (SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND query LIKE "
               "'%pg_replication_slot_advance%' AND query NOT LIKE 'DO %') THEN RETURN; END IF; "
               "PERFORM pg_sleep(0.005); END LOOP; RAISE EXCEPTION 'none within 30 s'; END $$");
      running = true;
    } catch (const harness_error& e) {
      watch_error = e.what();
    }
  });
  bool watching = eventually([&] {
    return t.r.scalar("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'DO %pg_stat_clear_snapshot%' "
                      "AND pid <> pg_backend_pid()") != "0";
  }, 10s);
  t.start(t.r);
  watch.join();
  ASSERT_TRUE(watching) << "the watch on the replica did not start: " << watch_error;
  ASSERT_TRUE(running) << "no advance seen running on the replica (" << watch_error << "): " << t.loop().dump(2);
  t.r.kill9();
  t.r.start();
  EXPECT_TRUE(eventually([&] { return lsn_at_least(t.p, cdc_confirmed(t.r), confirmed); }, 90s))
      << t.loop().dump(2);
  EXPECT_TRUE(t.a.wait_ready("node2")) << t.a.readiness("node2").dump(2);
  EXPECT_EQ(t.loop()["restarts"].get<int>(), 0) << "slotd restarted the server itself";
  EXPECT_EQ(restarts_before, 1);
}

// promote and demote at the same moment: one of them is refused with 409
// or they run one after the other; never both half-done. The agent ends in
// the role of the one that ran last and answers.
TEST(RaceFaults, PromoteAndDemoteAtOnce) {
  cdc_pair t;
  t.start();
  ASSERT_TRUE(t.a.wait_ready("node2"));
  for (int round = 0; round < 3; ++round) {
    actors::promote_reply p;
    actors::demote_reply d;
    std::thread a([&] { p = t.a.promote("node2", 5s); });
    std::thread b([&] { d = t.a.demote("node2", "node1"); });
    a.join();
    b.join();
    EXPECT_TRUE(p.refused == actors::refusal::none || p.refused == actors::refusal::busy) << actors::to_string(p.refused) << " " << p.error;
    EXPECT_TRUE(d.refused == actors::refusal::none || d.refused == actors::refusal::busy) << actors::to_string(d.refused) << " " << d.error;
    EXPECT_FALSE(p.refused == actors::refusal::busy && d.refused == actors::refusal::busy) << "both refused";
    // The server was never promoted: whatever was said, demote it back.
    auto back = t.a.demote("node2", "node1");
    ASSERT_EQ(back.refused, actors::refusal::none) << back.error;
    EXPECT_TRUE(eventually([&] { return t.a.status("node2")["role"] == "replica"; }, 15s));
  }
  EXPECT_TRUE(t.r.running());
  EXPECT_TRUE(t.a.wait_ready("node2"));
}

} // namespace
} // namespace slotd::testing
