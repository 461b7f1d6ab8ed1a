// g++ 12 reports a false -Wmismatched-new-delete inside Asio coroutine frames.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include "pg/server/command.hpp"
#include "pg/server/server_control.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

namespace slotd::pg::server {
namespace {

using namespace std::chrono_literals;

result<command_result> run(command c, int* ticks = nullptr) {
  boost::asio::io_context io;
  std::optional<result<command_result>> out;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { out = co_await run_command(io.get_executor(), c); },
      boost::asio::detached);
  if (ticks) {
    // Proves the I/O thread keeps running while the child runs.
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
          boost::asio::steady_timer t(io);
          while (!out) {
            t.expires_after(20ms);
            co_await t.async_wait(boost::asio::use_awaitable);
            ++*ticks;
          }
        },
        boost::asio::detached);
  }
  io.run();
  return std::move(*out);
}

TEST(run_command, captures_output_and_exit_code) {
  command c;
  c.argv = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3"};
  auto r = run(c);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_FALSE(r->ok());
  EXPECT_NE(r->output.find("out"), std::string::npos);
  EXPECT_NE(r->output.find("err"), std::string::npos);
}

TEST(run_command, success_and_missing_program) {
  command ok;
  ok.argv = {"true"};
  EXPECT_TRUE(run(ok)->ok());
  command missing;
  missing.argv = {"/nonexistent/slotd-no-such-program"};
  auto r = run(missing);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 127);
}

TEST(run_command, timeout_kills_the_process_group_without_blocking_the_io_thread) {
  command c;
  c.argv = {"/bin/sh", "-c", "sleep 30 & sleep 30"};
  c.timeout = 300ms;
  int ticks = 0;
  auto start = std::chrono::steady_clock::now();
  auto r = run(c, &ticks);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->signal, SIGKILL);
  EXPECT_LT(took, 3s);
  EXPECT_GE(ticks, 5);
}

TEST(run_command, large_output_does_not_deadlock) {
  command c;
  c.argv = {"/bin/sh", "-c", "head -c 300000 /dev/zero | tr '\\0' a"};
  auto r = run(c);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->output.size(), 64u * 1024u);
}

TEST(run_command, run_as_wraps_in_runuser_only_when_root) {
  command c;
  c.argv = {"id", "-un"};
  c.run_as = "postgres";
  auto argv = effective_argv(c);
  if (::geteuid() == 0) {
    ASSERT_EQ(argv.size(), 6u);
    EXPECT_EQ(argv[0], "runuser");
    EXPECT_EQ(argv[2], "postgres");
    auto r = run(c);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->output, "postgres\n");
  } else {
    EXPECT_EQ(argv, c.argv);
  }
}

TEST(server_control, pg_ctl_command_lines) {
  server_options o;
  o.bin_dir = "/usr/lib/postgresql/15/bin";
  o.data_dir = "/data";
  o.log_file = "/logs/pg.log";
  o.stop_timeout = 30s;
  auto stop = stop_command(o);
  EXPECT_EQ(stop.argv, (std::vector<std::string>{"/usr/lib/postgresql/15/bin/pg_ctl", "-D", "/data", "-m", "fast",
                                                 "-w", "-t", "29", "stop"}));
  EXPECT_EQ(stop.timeout, 30s);
  auto start = start_command(o);
  EXPECT_EQ(start.argv.back(), "start");
  EXPECT_NE(std::find(start.argv.begin(), start.argv.end(), "/logs/pg.log"), start.argv.end());
  o.stop_command = "systemctl stop postgresql@15-main";
  EXPECT_EQ(stop_command(o).argv, (std::vector<std::string>{"/bin/sh", "-c", "systemctl stop postgresql@15-main"}));
}

} // namespace
} // namespace slotd::pg::server
