#include "pg/server/server_state.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

namespace slotd::pg::server {
namespace {

namespace fs = std::filesystem;

struct server_state_test : ::testing::Test {
  void SetUp() override {
    char tmpl[] = "/tmp/slotd-pidfile-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir = tmpl;
  }
  void TearDown() override { fs::remove_all(dir); }
  void pid_file(long pid) { std::ofstream(dir / "postmaster.pid") << pid << "\n" << dir.string() << "\n"; }
  fs::path dir;
};

TEST_F(server_state_test, no_pid_file_is_not_running) { EXPECT_FALSE(running_postmaster(dir)); }

TEST_F(server_state_test, a_live_process_runs) {
  pid_file(::getpid());
  EXPECT_EQ(running_postmaster(dir), ::getpid());
}

// A stale postmaster.pid (the server crashed) and a killed postmaster
// that is not reaped yet are both "not running".
TEST_F(server_state_test, gone_and_zombie_processes_do_not_run) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0)
    ::_exit(0);
  for (int i = 0; i < 100; ++i) { // until it is a zombie
    pid_file(child);
    if (!running_postmaster(dir))
      break;
    ::usleep(10000);
  }
  EXPECT_FALSE(running_postmaster(dir)) << "zombie";
  int st = 0;
  ::waitpid(child, &st, 0);
  EXPECT_FALSE(running_postmaster(dir)) << "gone";
  std::ofstream(dir / "postmaster.pid") << "garbage\n";
  EXPECT_FALSE(running_postmaster(dir));
}

} // namespace
} // namespace slotd::pg::server

namespace slotd::pg::server {
namespace {

TEST_F(server_state_test, the_status_line_says_up_starting_or_stopping) {
  auto write = [&](const std::string& status) {
    std::ofstream f(dir / "postmaster.pid");
    f << ::getpid() << "\n" << dir.string() << "\n1700000000\n5432\n/tmp\n127.0.0.1\n  1234  5678\n";
    if (!status.empty())
      f << status << "\n";
  };
  write("ready   ");
  EXPECT_EQ(server_status(dir), postmaster_status::up);
  write("standby ");
  EXPECT_EQ(server_status(dir), postmaster_status::up);
  write("stopping");
  EXPECT_EQ(server_status(dir), postmaster_status::stopping);
  write("starting");
  EXPECT_EQ(server_status(dir), postmaster_status::starting);
  write("");
  EXPECT_EQ(server_status(dir), postmaster_status::starting);
  std::filesystem::remove(dir / "postmaster.pid");
  EXPECT_EQ(server_status(dir), postmaster_status::down);
}

} // namespace
} // namespace slotd::pg::server
