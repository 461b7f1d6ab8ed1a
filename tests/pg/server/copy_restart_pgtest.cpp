// A copy's restart (pg/server/copy_restart) against a real server: a cancel
// that comes while the files are staged stops nothing, and a server that
// restarted between the staging and the stop (PostgreSQL removes *.tmp in
// pg_replslot at start) still gets its copy.
// g++ 12 reports a false -Wmismatched-new-delete inside Asio coroutine frames.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "pg/server/copy_restart.hpp"
#include "pg/slotfile/install.hpp"
#include "tests/pg/asio_test_support.hpp"
#include "tests/pg/server_of.hpp"
#include "tests/support/pg_harness.hpp"

namespace slotd::pg {
namespace {

using test_support::run_io;
using test_support::server_of;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace fs = std::filesystem;

// The state file of a logical slot `cdc` created on `n`, then dropped: a
// copy of it brings the slot back.
slotfile::state_file dropped_slot(const testing::node& n) {
  n.exec("SELECT pg_create_logical_replication_slot('cdc', 'test_decoding')", "app");
  std::ifstream in(n.data_dir() / "pg_replslot" / "cdc" / "state", std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(in), {}};
  n.exec("SELECT pg_drop_replication_slot('cdc')");
  return {"cdc", bytes};
}

std::string started_at(const testing::node& n) { return n.scalar("SELECT pg_postmaster_start_time()::text").value(); }

TEST(copy_restart, a_cancel_during_the_staging_stops_nothing) {
  testing::cluster c({.replicas = 0});
  auto& n = c.primary();
  auto file = dropped_slot(n);
  auto before = started_at(n);
  auto state_dir = c.dir() / "state";
  asio::thread_pool pool(1);
  auto cancel = std::make_shared<std::atomic<bool>>(true);
  server::restart_outcome o;
  std::vector<slotfile::state_file> files{file};
  auto opts = server_of(n);
  run_io([&](asio::io_context&) -> asio::awaitable<void> {
    o = co_await server::restart_with_slot_files(pool, opts, state_dir, files, {}, cancel);
  });
  EXPECT_TRUE(o.cancelled);
  EXPECT_TRUE(o.running);
  EXPECT_FALSE(o.stopped);
  EXPECT_TRUE(o.installed.empty());
  EXPECT_EQ(started_at(n), before) << "the server was restarted";
  EXPECT_FALSE(fs::exists(slotfile::staged_slot_dir(n.data_dir(), "cdc"))) << "the staged copy is removed";
  EXPECT_FALSE(fs::exists(state_dir / "copy-intent"));
  EXPECT_FALSE(n.scalar("SELECT 1 FROM pg_replication_slots WHERE slot_name = 'cdc'").has_value());
  pool.join();
}

TEST(copy_restart, a_server_restarted_after_the_staging_still_gets_the_copy) {
  testing::cluster c({.replicas = 0});
  auto& n = c.primary();
  auto file = dropped_slot(n);
  auto opts = server_of(n);
  auto pg_ctl = (testing::pg_install::current().bin_dir / "pg_ctl").string();
  auto dir = "'" + n.data_dir().string() + "'";
  // The restart removes pg_replslot/*.tmp, the staged copy among them.
  opts.stop_command = pg_ctl + " -D " + dir + " -l '" + n.log_file().string() + "' -m fast -w restart && " + pg_ctl +
                      " -D " + dir + " -m fast -w stop";
  asio::thread_pool pool(1);
  server::restart_outcome o;
  std::vector<slotfile::state_file> files{file};
  auto state_dir = c.dir() / "state";
  run_io([&](asio::io_context&) -> asio::awaitable<void> {
    o = co_await server::restart_with_slot_files(pool, opts, state_dir, files, {}, nullptr);
  });
  EXPECT_TRUE(o.error.empty()) << o.error;
  EXPECT_TRUE(o.stopped);
  EXPECT_TRUE(o.running);
  EXPECT_EQ(o.installed, std::vector<std::string>{"cdc"});
  EXPECT_EQ(n.scalar("SELECT plugin FROM pg_replication_slots WHERE slot_name = 'cdc'"), "test_decoding");
  pool.join();
}

} // namespace
} // namespace slotd::pg
