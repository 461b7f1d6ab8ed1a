// global/pg_control read directly (pg/server/stopped_server.hpp
// read_control_file, for a bin_dir without pg_controldata) against real
// servers of every major: a clean stop reads "shut down" at a checkpoint
// past the last write, a crash reads "in production", and where
// pg_controldata exists it says the same.
#include <array>
#include <cstdio>
#include <memory>

#include <gtest/gtest.h>

#include "pg/server/stopped_server.hpp"
#include "tests/support/pg_harness.hpp"

namespace slotd::pg {
namespace {

namespace fs = std::filesystem;

// pg_controldata's reading, when this install has it.
std::optional<server::control_data> controldata(const testing::node& n) {
  auto tool = testing::pg_install::current().bin_dir / "pg_controldata";
  if (!fs::exists(tool))
    return std::nullopt;
  std::string cmd = "env LC_ALL=C '" + tool.string() + "' -D '" + n.data_dir().string() + "' 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(cmd.c_str(), "r"), &::pclose);
  std::string out;
  std::array<char, 512> buf{};
  while (p && std::fgets(buf.data(), buf.size(), p.get()))
    out += buf.data();
  auto parsed = server::parse_controldata(out);
  EXPECT_TRUE(parsed) << out;
  return parsed ? std::optional(*parsed) : std::nullopt;
}

TEST(control_file, a_clean_stop_and_a_crash_read_as_pg_controldata_says) {
  testing::cluster c({.replicas = 0});
  auto& n = c.primary();
  n.exec("CREATE TABLE t AS SELECT generate_series(1, 1000) AS i");
  auto written = lsn::parse(n.current_lsn());
  ASSERT_TRUE(written);
  n.stop_fast();
  auto stopped = server::read_control_file(n.data_dir());
  ASSERT_TRUE(stopped) << stopped.error().what();
  EXPECT_EQ(stopped->cluster_state, "shut down");
  EXPECT_TRUE(stopped->clean_shutdown());
  ASSERT_TRUE(stopped->checkpoint);
  EXPECT_GE(*stopped->checkpoint, *written) << "the shutdown checkpoint comes after the last write";
  if (auto tool = controldata(n)) {
    EXPECT_EQ(tool->cluster_state, stopped->cluster_state);
    EXPECT_EQ(tool->checkpoint, stopped->checkpoint);
  }

  n.start();
  n.exec("INSERT INTO t SELECT generate_series(1, 1000)");
  n.kill9();
  auto crashed = server::read_control_file(n.data_dir());
  ASSERT_TRUE(crashed) << crashed.error().what();
  EXPECT_EQ(crashed->cluster_state, "in production");
  EXPECT_FALSE(crashed->clean_shutdown());
  EXPECT_GE(crashed->checkpoint, stopped->checkpoint);
  if (auto tool = controldata(n)) {
    EXPECT_EQ(tool->cluster_state, crashed->cluster_state);
    EXPECT_EQ(tool->checkpoint, crashed->checkpoint);
  }
  n.start();
}

} // namespace
} // namespace slotd::pg
