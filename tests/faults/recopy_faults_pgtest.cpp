// The re-copy limit on real servers: a copy that loses its WAL on the
// replica at every restartpoint would be copied again, with a restart, in a
// loop (patroni#3150). slotd re-copies it 3 times within an hour, then
// refuses with an error and restarts nothing more; the count is kept in
// state_dir, so a restarted agent refuses too.
#include <fstream>

#include "tests/faults/slotd_process.hpp"

namespace slotd::testing {
namespace {

int lines_of(const fs::path& p) {
  std::ifstream in(p);
  int n = 0;
  for (std::string line; std::getline(in, line);)
    n += line.empty() ? 0 : 1;
  return n;
}

TEST(RecopyFaults, ACopyLostOverAndOverIsLimitedAndTheLimitOutlivesTheAgent) {
  if (pg_install::current().major < 13)
    GTEST_SKIP() << "max_slot_wal_keep_size exists from PostgreSQL 13";
  cdc_pair t;
  t.p.exec("CREATE TABLE t (pad text)", "app");
  // The replica keeps 1 MB of WAL for its slots; the leader keeps all of it
  // for cdc, whose consumer never reads: the copy, at the leader's old
  // position, loses its WAL at every restartpoint of the replica.
  t.r.exec("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'");
  t.r.exec("ALTER SYSTEM SET wal_keep_size = 0");
  t.r.exec("SELECT pg_reload_conf()");
  t.start();
  ASSERT_TRUE(t.a.wait_ready("node2")) << t.loop().dump(2);
  auto restarts = [&] { return t.loop()["restarts"].get<int>(); };
  ASSERT_TRUE(eventually([&] { return restarts() == 1; }, 10s)) << "the first copy: " << t.loop().dump(2);

  auto lose_copy = [&] {
    t.p.exec("INSERT INTO t SELECT repeat('x', 1000) FROM generate_series(1, 4000)", "app");
    t.p.exec("SELECT pg_switch_wal()");
    t.p.exec("CHECKPOINT");
    try {
      t.r.wait_replay(t.p.current_lsn());
      t.r.exec("CHECKPOINT"); // a restartpoint: a slot more than 1 MB behind loses its WAL
    } catch (const std::exception&) {
      // the replica restarts for a re-copy
    }
  };
  auto limited = [&] { return t.a.dump("node2").dump().find("re-copies within an hour") != std::string::npos; };
  // The first copy and 3 re-copies: 4 restarts.
  auto until = std::chrono::steady_clock::now() + 240s;
  while (restarts() < 4 && std::chrono::steady_clock::now() < until) {
    lose_copy();
    std::this_thread::sleep_for(2s);
  }
  ASSERT_EQ(restarts(), 4) << t.loop().dump(2);
  ASSERT_TRUE(eventually([&] { return runs_with_slot(t.r, "cdc"); }, 60s));
  // Lost again: refused, with the reason, and no restart.
  ASSERT_TRUE(eventually([&] {
    lose_copy();
    return limited();
  }, 120s)) << t.loop().dump(2);
  auto started = started_at(t.r);
  std::this_thread::sleep_for(5s);
  EXPECT_EQ(restarts(), 4) << t.loop().dump(2);
  EXPECT_EQ(started_at(t.r), started) << "the replica was restarted past the limit";
  auto recopies = fs::path(t.r.data_dir().string() + ".slotd") / "recopies";
  EXPECT_EQ(lines_of(recopies), 3) << "the re-copies recorded in state_dir";

  // A new agent reads the count back: still refused, still no restart.
  t.a.stop("node2");
  t.start(t.r);
  EXPECT_TRUE(eventually([&] { return limited(); }, 30s)) << t.loop().dump(2);
  std::this_thread::sleep_for(5s);
  EXPECT_EQ(started_at(t.r), started) << "the restarted agent re-copied past the limit";
  EXPECT_EQ(t.loop()["restarts"], 0) << t.loop().dump(2);
}

} // namespace
} // namespace slotd::testing
