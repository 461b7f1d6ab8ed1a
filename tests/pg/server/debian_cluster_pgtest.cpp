// A slot copy's restart of a real Debian cluster (pg_createcluster: its
// configuration in /etc/postgresql): `pg_ctl start -D` cannot start it, the
// pg_ctlcluster commands slotd derives for it can, and the copied slot is
// there after the restart.
// g++ 12 reports a false -Wmismatched-new-delete inside Asio coroutine frames.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "pg/server/copy_restart.hpp"
#include "pg/server/debian_cluster.hpp"
#include "pg/server/server_state.hpp"
#include "tests/pg/asio_test_support.hpp"
#include "tests/support/pg_harness.hpp"

namespace slotd::pg {
namespace {

using test_support::run_io;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace fs = std::filesystem;

int sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

// The server of Debian's own PostgreSQL package (the highest major under
// /usr/lib/postgresql): pg_createcluster makes clusters of those only, so the
// test uses it whatever server the rest of the suite runs (SLOTD_PG_BIN).
// Empty when there is none.
fs::path debian_bin_dir() {
  fs::path best;
  int best_major = 0;
  std::error_code ec;
  for (auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    int major = std::atoi(e.path().filename().c_str());
    if (major > best_major && fs::exists(e.path() / "bin" / "postgres")) {
      best_major = major;
      best = e.path() / "bin";
    }
  }
  return best;
}

// A Debian cluster of Debian's packaged major, dropped (and stopped) at the end.
struct debian_cluster_fixture {
  debian_cluster_fixture() {
    bin_dir = debian_bin_dir();
    version = bin_dir.parent_path().filename().string();
    name = "slotdtest" + std::to_string(::getpid());
    port = testing::free_port();
    created = sh("pg_createcluster " + version + " " + name + " -p " + std::to_string(port)) == 0;
    data_dir = "/var/lib/postgresql/" + version + "/" + name;
  }
  ~debian_cluster_fixture() {
    if (created)
      sh("pg_dropcluster --stop " + version + " " + name);
  }
  std::string psql(const std::string& sql) const {
    std::string out;
    auto cmd = "runuser -u postgres -- psql -X -q -A -t -h /var/run/postgresql -p " + std::to_string(port) + " -d postgres -c \"" +
               sql + "\" 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    char buf[512];
    while (p && std::fgets(buf, sizeof buf, p))
      out += buf;
    if (p)
      ::pclose(p);
    return out;
  }
  fs::path bin_dir;
  std::string version, name;
  int port = 0;
  bool created = false;
  fs::path data_dir;
};

TEST(debian_cluster, a_copy_restarts_it_with_pg_ctlcluster) {
  if (::geteuid() != 0 || !fs::exists("/usr/bin/pg_createcluster") || debian_bin_dir().empty())
    GTEST_SKIP() << "needs root, postgresql-common (pg_createcluster) and a Debian PostgreSQL server package";
  debian_cluster_fixture d;
  ASSERT_TRUE(d.created) << "pg_createcluster failed";
  ASSERT_EQ(sh("pg_ctlcluster " + d.version + " " + d.name + " start"), 0);
  ASSERT_EQ(server::server_status(d.data_dir), server::postmaster_status::up);

  auto found = server::find_debian_cluster(d.data_dir);
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, (server::debian_cluster{d.version, d.name}));

  // A physical slot's state file, the slot dropped: the copy brings it back.
  auto created = d.psql("SELECT pg_create_physical_replication_slot('cdc', true)");
  ASSERT_NE(created.find("cdc"), std::string::npos) << created;
  std::ifstream in(d.data_dir / "pg_replslot" / "cdc" / "state", std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(in), {}};
  ASSERT_FALSE(bytes.empty());
  d.psql("SELECT pg_drop_replication_slot('cdc')");
  ASSERT_EQ(d.psql("SELECT count(*) FROM pg_replication_slots"), "0\n");

  server::server_options o;
  o.bin_dir = d.bin_dir;
  o.data_dir = d.data_dir;
  o.run_as = "postgres";
  o.stop_command = server::pg_ctlcluster_stop(*found);
  o.start_command = server::pg_ctlcluster_start(*found);
  auto state_dir = fs::temp_directory_path() / ("slotd-debian-state-" + std::to_string(::getpid()));
  fs::create_directories(state_dir);
  fs::permissions(state_dir, fs::perms::all);
  asio::thread_pool pool(1);
  server::restart_outcome out;
  std::vector<slotfile::state_file> files{{"cdc", bytes}};
  auto no_cancel = std::make_shared<std::atomic<bool>>(false);
  run_io([&](asio::io_context&) -> asio::awaitable<void> {
    out = co_await server::restart_with_slot_files(pool, o, state_dir, files, {}, no_cancel);
  });
  fs::remove_all(state_dir);
  EXPECT_TRUE(out.stopped) << out.error;
  EXPECT_TRUE(out.running) << out.error;
  EXPECT_EQ(out.installed, std::vector<std::string>{"cdc"}) << out.error;
  EXPECT_EQ(server::server_status(d.data_dir), server::postmaster_status::up);
  EXPECT_EQ(d.psql("SELECT slot_name FROM pg_replication_slots"), "cdc\n");

  // Why slotd needs pg_ctlcluster here: pg_ctl -D finds no configuration.
  ASSERT_EQ(sh("pg_ctlcluster " + d.version + " " + d.name + " stop"), 0);
  EXPECT_NE(sh("runuser -u postgres -- " + (o.bin_dir / "pg_ctl").string() + " -D " + d.data_dir.string() +
               " -w -t 10 start"),
            0);
  EXPECT_NE(server::server_status(d.data_dir), server::postmaster_status::up);
}

} // namespace
} // namespace slotd::pg
