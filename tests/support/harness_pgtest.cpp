// The harness proves itself on real servers.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/support/pg_harness.hpp"

using namespace slotd::testing;

TEST(harness, primary_and_two_replicas_stream) {
  cluster c;
  ASSERT_EQ(c.size(), 3u);
  EXPECT_FALSE(c.primary().in_recovery());
  EXPECT_TRUE(c.replica(0).in_recovery());
  EXPECT_TRUE(c.replica(1).in_recovery());
  EXPECT_EQ(c.primary().scalar("SHOW wal_level"), "logical");
  EXPECT_EQ(c.replica(0).scalar("SHOW hot_standby_feedback"), "on");

  c.primary().exec("CREATE TABLE t (id int primary key, v text)", "app");
  c.primary().exec("INSERT INTO t VALUES (1, 'hello')", "app");
  auto lsn = c.primary().current_lsn();
  for (std::size_t i = 0; i < 2; ++i) {
    c.replica(i).wait_replay(lsn);
    EXPECT_EQ(c.replica(i).scalar("SELECT v FROM t WHERE id = 1", "app"), "hello") << c.replica(i).name();
  }
  // Each replica streams through its own physical slot on the primary.
  auto active = c.primary().query(
      "SELECT slot_name FROM pg_replication_slots WHERE slot_type = 'physical' AND active ORDER BY 1");
  ASSERT_EQ(active.size(), 2u);
  EXPECT_EQ(active[0][0], "node2");
  EXPECT_EQ(active[1][0], "node3");
}

TEST(harness, promote_and_repoint) {
  cluster c;
  auto& old_primary = c.primary();
  auto& candidate = c.replica(0);
  auto& other = c.replica(1);
  old_primary.exec("CREATE TABLE t (id int primary key)", "app");
  old_primary.exec("INSERT INTO t VALUES (1)", "app");
  auto lsn = old_primary.current_lsn();
  candidate.wait_replay(lsn);
  other.wait_replay(lsn);

  old_primary.stop_fast();
  candidate.promote();
  EXPECT_FALSE(candidate.in_recovery());
  candidate.exec("INSERT INTO t VALUES (2)", "app");

  other.follow(candidate);
  candidate.exec("INSERT INTO t VALUES (3)", "app");
  other.wait_replay(candidate.current_lsn());
  EXPECT_EQ(other.scalar("SELECT count(*) FROM t", "app"), "3");
  EXPECT_EQ(candidate.scalar("SELECT active FROM pg_replication_slots WHERE slot_name = 'node3'"), "t");
}

TEST(harness, kill9_then_start_recovers) {
  cluster c({.replicas = 0});
  auto& p = c.primary();
  p.exec("CREATE TABLE t (id int)", "app");
  p.exec("INSERT INTO t VALUES (1)", "app");
  auto pid = p.postmaster_pid();
  ASSERT_TRUE(pid.has_value());
  p.kill9();
  EXPECT_FALSE(p.running());
  p.start();
  EXPECT_NE(p.postmaster_pid(), pid);
  EXPECT_EQ(p.scalar("SELECT count(*) FROM t", "app"), "1");
}

TEST(harness, destructor_stops_servers_and_removes_dirs) {
  std::filesystem::path dir;
  int pid = 0;
  {
    cluster c({.replicas = 1});
    dir = c.dir();
    pid = c.primary().postmaster_pid().value();
    ASSERT_TRUE(std::filesystem::exists(dir));
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_FALSE(process_alive(pid));
}

TEST(harness, cascading_replica_streams_from_a_replica) {
  cluster c({.replicas = 1});
  auto& cascade = c.add_replica(&c.replica(0));
  c.primary().exec("CREATE TABLE t (id int)", "app");
  c.primary().exec("INSERT INTO t VALUES (7)", "app");
  cascade.wait_replay(c.primary().current_lsn());
  EXPECT_EQ(cascade.scalar("SELECT id FROM t", "app"), "7");
  EXPECT_EQ(c.replica(0).scalar("SELECT active FROM pg_replication_slots WHERE slot_name = 'node3'"), "t");
}

TEST(harness, sweep_removes_what_a_crashed_process_left) {
  // A child builds a cluster and dies without running any destructor.
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      auto* leaked = new cluster({.replicas = 0});
      (void)leaked;
      ::_exit(0);
    } catch (...) {
      ::_exit(1);
    }
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // The child's dir is "<child pid>-<seq>": seq counts on from this process's
  // clusters (the child inherited the counter), so find it by the prefix.
  std::filesystem::path dir;
  for (auto& e : std::filesystem::directory_iterator(test_root()))
    if (e.path().filename().string().rfind(std::to_string(child) + "-", 0) == 0)
      dir = e.path();
  ASSERT_FALSE(dir.empty()) << "no cluster dir of process " << child << " under " << test_root();
  ASSERT_TRUE(std::filesystem::exists(dir / "node1" / "postmaster.pid"));
  std::ifstream pidfile(dir / "node1" / "postmaster.pid");
  int postmaster = 0;
  pidfile >> postmaster;
  ASSERT_TRUE(process_alive(postmaster));

  EXPECT_GE(sweep_leftovers(), 1);
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_FALSE(process_alive(postmaster));
}
