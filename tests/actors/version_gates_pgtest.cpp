// Version gates on real servers (SLOTS.md §2.6).
#include "tests/actors/agent_fixture.hpp"

using namespace slotd;
using namespace slotd::testing;

// 13+ (SLOTS.md §3.13 rule 2): a desired slot whose WAL was removed
// (wal_status = lost) is dropped and created again; while paused it is kept.
TEST(version_gates, lost_slot_is_recreated_on_13_and_later) {
  if (pg_install::current().major < 13)
    GTEST_SKIP() << "wal_status exists from PostgreSQL 13";
  cluster_options co;
  co.replicas = 0;
  co.extra_conf = "max_slot_wal_keep_size = 1MB\nmax_wal_size = 64MB\nmin_wal_size = 32MB\n";
  cluster c(co);
  auto& p = c.primary();
  p.exec("CREATE TABLE t (pad text)", "app");
  auto view = view_of(c, {physical_slot("archiver")});
  agents a;
  a.start(p, view);
  auto status = [&] {
    return p.scalar("SELECT coalesce(wal_status, 'none') FROM pg_replication_slots WHERE slot_name = 'archiver'");
  };
  ASSERT_TRUE(eventually([&] { return status() == "reserved"; })) << a.dump("node1").dump(2);

  // Hands off while the slot loses its WAL: a paused agent drops nothing.
  ASSERT_EQ(a.pause("node1", true), true);
  for (int i = 0; i < 6 && status() != "lost"; ++i) {
    p.exec("INSERT INTO t SELECT repeat('x', 1000) FROM generate_series(1, 20000)", "app");
    p.exec("SELECT pg_switch_wal()");
    p.exec("CHECKPOINT");
  }
  ASSERT_EQ(status(), "lost") << "the test needs the slot invalidated";
  std::this_thread::sleep_for(1500ms); // more than one cycle (loop_wait 1s)
  EXPECT_EQ(status(), "lost") << "paused: the lost slot is kept";

  ASSERT_EQ(a.pause("node1", false), false);
  EXPECT_TRUE(eventually([&] { return status() == "reserved"; }))
      << "the lost slot is dropped and created again: " << a.dump("node1").dump(2);
  EXPECT_TRUE(p.scalar("SELECT restart_lsn IS NOT NULL FROM pg_replication_slots WHERE slot_name = 'archiver'") ==
              "t");
}
