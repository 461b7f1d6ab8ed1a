// The slotd binary killed (SIGKILL) at each step of a slot copy, then
// started again; and slotd restarted after a copy must listen again. Real
// servers; the agent is a child process run as postgres.
#include "tests/faults/slotd_process.hpp"

namespace slotd::testing {
namespace {

struct agent_pair {
  agent_pair() : c({.replicas = 1}), p(c.primary()), r(c.replica(0)) {}

  // node1's agent in process (it creates cdc on the primary); node2's is
  // the slotd binary.
  void start_primary_agent() {
    a.start(p, view_of(c, {logical_slot("cdc", "app", "test_decoding")}));
    ASSERT_TRUE(eventually([&] { return slots_of(p).contains("cdc"); }));
  }

  slotd_process& replica_agent(const std::string& extra_postgresql = "") {
    api_port = free_port();
    auto cfg = write_config(c.dir() / "node2-slotd.yaml", slotd_yaml(c, r, api_port, extra_postgresql));
    proc = std::make_unique<slotd_process>(cfg, c.dir() / "node2-slotd.log");
    return *proc;
  }

  bool healthy() { return http_call(api_port, "GET", "/health").status == 200; }

  bool runs_with_cdc() { return runs_with_slot(r, "cdc"); }

  cluster c;
  node& p;
  node& r;
  agents a;
  int api_port = 0;
  std::unique_ptr<slotd_process> proc; // before the cluster goes: declared after it
};

// SIGKILL at a fault point of the first copy; the server is left as the
// dead agent left it. A new agent finishes the job: the server runs, the
// copy is there, /health answers.
void killed_at(const std::string& point, bool server_down_after_kill) {
  agent_pair t;
  ASSERT_NO_FATAL_FAILURE(t.start_primary_agent());
  auto& slotd = t.replica_agent();
  ASSERT_NO_FATAL_FAILURE(slotd.start(point));
  auto st = slotd.wait(60s);
  ASSERT_TRUE(st.has_value()) << "slotd did not reach " << point << ":\n" << slotd.log();
  ASSERT_TRUE(WIFSIGNALED(*st) && WTERMSIG(*st) == SIGKILL) << slotd.log();
  EXPECT_EQ(!t.r.running(), server_down_after_kill) << slotd.log();
  EXPECT_TRUE(fs::exists(fs::path(t.r.data_dir().string() + ".slotd") / "copy-intent"));

  ASSERT_NO_FATAL_FAILURE(slotd.start());
  EXPECT_TRUE(eventually([&] { return t.runs_with_cdc(); }, 60s)) << slotd.log();
  EXPECT_TRUE(eventually([&] { return t.healthy(); }, 30s)) << slotd.log();
  // Removed once the server runs (just after it accepts connections).
  EXPECT_TRUE(eventually([&] { return !fs::exists(fs::path(t.r.data_dir().string() + ".slotd") / "copy-intent"); },
                         10s));
  auto log = slotd.log();
  EXPECT_NE(log.find("was interrupted"), std::string::npos) << log;
  auto stopped = slotd.terminate();
  ASSERT_TRUE(stopped.has_value());
  EXPECT_TRUE(WIFEXITED(*stopped) && WEXITSTATUS(*stopped) == 0) << slotd.log();
}

TEST(AgentKilledDuringCopy, AfterTheIntentRecordBeforeTheStop) { killed_at("copy:after_intent", false); }
TEST(AgentKilledDuringCopy, AfterTheStop) { killed_at("copy:after_stop", true); }
TEST(AgentKilledDuringCopy, AfterTheInstallBeforeTheStart) { killed_at("copy:after_install", true); }
// Half-way through the install: the decoding snapshot is in place, the slot
// directory is still at its staging name.
TEST(AgentKilledDuringCopy, DuringTheInstall) { killed_at("install:before_rename", true); }

// A postmaster that slotd started must not hold slotd's API socket: slotd
// restarted after a copy listens on its port again, and only slotd does.
TEST(AgentRestart, ListensAgainAfterACopy) {
  agent_pair t;
  ASSERT_NO_FATAL_FAILURE(t.start_primary_agent());
  auto& slotd = t.replica_agent();
  ASSERT_NO_FATAL_FAILURE(slotd.start());
  ASSERT_TRUE(eventually([&] { return t.runs_with_cdc() && t.healthy(); }, 60s)) << slotd.log();
  auto stopped = slotd.terminate();
  ASSERT_TRUE(stopped.has_value()) << slotd.log();
  EXPECT_TRUE(WIFEXITED(*stopped) && WEXITSTATUS(*stopped) == 0) << slotd.log();
  EXPECT_NE(http_call(t.api_port, "GET", "/health").status, 200) << "something still answers on the API port";
  ASSERT_NO_FATAL_FAILURE(slotd.start());
  EXPECT_TRUE(eventually([&] { return t.healthy(); }, 30s)) << slotd.log();
  EXPECT_EQ(slotd.log().find("Address already in use"), std::string::npos) << slotd.log();
}

// SIGTERM while the copy has the server stopped: slotd waits for the start
// before it exits.
TEST(AgentRestart, SigtermDuringACopyStartsTheServerFirst) {
  agent_pair t;
  ASSERT_NO_FATAL_FAILURE(t.start_primary_agent());
  auto stop = "  stop_command: \"sleep 3; " + (pg_install::current().bin_dir / "pg_ctl").string() + " -D " +
              t.r.data_dir().string() + " -m fast -w stop\"\n";
  auto& slotd = t.replica_agent(stop);
  ASSERT_NO_FATAL_FAILURE(slotd.start());
  // Inside the stop command's sleep: the copy has the server. (Before the
  // intent record is written the files are still being staged, and a
  // SIGTERM then drops the copy without stopping anything.)
  ASSERT_TRUE(eventually([&] {
    auto status = http_call(t.api_port, "GET", "/status").json();
    return status.is_object() && status["copy"].is_object() && status["copy"]["phase"] == "restarting" &&
           fs::exists(fs::path(t.r.data_dir().string() + ".slotd") / "copy-intent");
  }, 60s)) << slotd.log();
  std::this_thread::sleep_for(500ms); // past the last cancel check, into the 3 s sleep
  auto stopped = slotd.terminate(120s);
  ASSERT_TRUE(stopped.has_value()) << slotd.log();
  EXPECT_TRUE(t.r.running()) << "slotd exited with the server down:\n" << slotd.log();
  // The copy went through: SIGTERM waited for it rather than dropping it.
  EXPECT_NE(slotd.log().find("copied logical slot(s) cdc"), std::string::npos) << slotd.log();
  EXPECT_TRUE(t.runs_with_cdc());
}

// SIGTERM while the server is down after a copy whose starts failed (the
// copier is between two attempts with backoff): slotd makes one more start
// before it exits, and exits with the server running once that works.
TEST(AgentRestart, SigtermWhileTheServerIsDownAfterACopyStartsItFirst) {
  agent_pair t;
  ASSERT_NO_FATAL_FAILURE(t.start_primary_agent());
  auto flag = fs::temp_directory_path() / ("slotd-no-start-" + std::to_string(::getpid()));
  std::ofstream(flag).flush();
  struct remove_flag {
    fs::path p;
    ~remove_flag() { fs::remove(p); }
  } cleanup{flag};
  auto start = "[ -e '" + flag.string() + "' ] && exit 1; " +
               (pg_install::current().bin_dir / "pg_ctl").string() + " -D '" + t.r.data_dir().string() + "' -l '" +
               t.r.log_file().string() + "' -w start";
  auto& slotd = t.replica_agent("  start_command: \"" + start + "\"\n");
  ASSERT_NO_FATAL_FAILURE(slotd.start());
  // Down, with retries after the copy's own attempts: the copier now waits
  // out a backoff of 4 s or more (or is in an attempt, which fails: then
  // one more follows).
  ASSERT_TRUE(eventually([&] {
    auto state = http_call(t.api_port, "GET", "/state").json();
    return state.is_object() && state["slot_copier"]["phase"] == "server_down" &&
           state["slot_copier"]["start_retries"].get<int>() >= 2;
  }, 90s)) << slotd.log();
  ASSERT_FALSE(t.r.running());
  fs::remove(flag); // the next start works
  auto stopped = slotd.terminate(120s);
  ASSERT_TRUE(stopped.has_value()) << slotd.log();
  EXPECT_TRUE(WIFEXITED(*stopped) && WEXITSTATUS(*stopped) == 0) << slotd.log();
  EXPECT_TRUE(t.r.running()) << "slotd exited with the server down:\n" << slotd.log();
  EXPECT_FALSE(fs::exists(fs::path(t.r.data_dir().string() + ".slotd") / "copy-intent"));
}

} // namespace
} // namespace slotd::testing
