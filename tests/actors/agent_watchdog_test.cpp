// A core actor that ends with an error must not leave the agent alive and
// useless: the agent's failure handler is called (slotd then exits 1 and
// its service manager restarts it). No server needed: the agent points at a
// port where nothing listens.
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "actors/agent.hpp"
#include "actors/io_bridge.hpp"
#include "actors/io_scheduler.hpp"

namespace slotd::actors {
namespace {

using namespace std::chrono_literals;

ha_settings lonely_settings() {
  ha_settings s;
  s.cfg.name = "node1";
  s.cfg.postgresql.conninfo = "host=127.0.0.1 port=1 user=postgres dbname=postgres connect_timeout=1";
  s.cfg.postgresql.data_dir = "/nonexistent/slotd-watchdog";
  return s;
}

// The agent's own scheduler: the actors on the I/O thread, which is made
// before the actor system and stopped after it.
struct agent_watchdog : ::testing::Test {
  static void SetUpTestSuite() { make_loggers("off", false); }
  io_runtime io;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  agent_watchdog() {
    run_actors_on_io_thread(cfg, io);
    sys = std::make_unique<caf::actor_system>(cfg);
  }
  ~agent_watchdog() override {
    sys.reset();
    io.stop();
  }
};

bool wait_for(const std::atomic<bool>& flag, std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (!flag && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(10ms);
  return flag;
}

TEST_F(agent_watchdog, a_killed_ha_loop_is_reported) {
  std::atomic<bool> failed{false};
  std::string what;
  agent a(*sys, io, lonely_settings(), [&](const std::string& w) {
    what = w;
    failed = true;
  });
  caf::anon_send_exit(a.ha(), caf::exit_reason::kill);
  ASSERT_TRUE(wait_for(failed, 5s));
  EXPECT_NE(what.find("the HA loop"), std::string::npos) << what;
  a.shutdown();
}

TEST_F(agent_watchdog, a_shutdown_is_not_a_failure) {
  std::atomic<bool> failed{false};
  {
    agent a(*sys, io, lonely_settings(), [&](const std::string&) { failed = true; });
    a.shutdown();
  }
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(failed);
}

} // namespace
} // namespace slotd::actors
