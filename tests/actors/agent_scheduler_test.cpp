// The agent's scheduler: CAF's "sharing" policy with one worker, which
// blocks until a message arrives instead of polling.
#include "actors/agent.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/policy/work_sharing.hpp>
#include <caf/scheduler/coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <dirent.h>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>

namespace {

std::set<std::string> thread_ids() {
  std::set<std::string> ids;
  if (DIR* d = opendir("/proc/self/task")) {
    while (auto* e = readdir(d))
      if (e->d_name[0] != '.')
        ids.insert(e->d_name);
    closedir(d);
  }
  return ids;
}

// Voluntary context switches of one thread of this process: a thread that
// sleeps and wakes counts one per wake-up.
long wakeups(const std::string& tid) {
  std::ifstream in("/proc/self/task/" + tid + "/status");
  std::string key;
  long value = 0;
  while (in >> key) {
    if (key == "voluntary_ctxt_switches:") {
      in >> value;
      return value;
    }
    in.ignore(1 << 12, '\n');
  }
  return -1;
}

TEST(AgentScheduler, OneWorkerOnTheSharingPolicy) {
  caf::actor_system_config cfg;
  slotd::actors::tune_scheduler(cfg);
  caf::actor_system sys{cfg};
  using sharing = caf::scheduler::coordinator<caf::policy::work_sharing>;
  auto* sched = dynamic_cast<sharing*>(&sys.scheduler());
  ASSERT_NE(sched, nullptr) << "the agent's actor system does not use the sharing policy";
  EXPECT_EQ(sched->num_workers(), 1u);
}

TEST(AgentScheduler, IdleWorkersDoNotWakeUp) {
  auto before = thread_ids();
  caf::actor_system_config cfg;
  slotd::actors::tune_scheduler(cfg);
  caf::actor_system sys{cfg};
  // Some work first, so the workers have run and gone back to waiting.
  auto echo = sys.spawn([]() -> caf::behavior { return {[](int x) { return x + 1; }}; });
  caf::scoped_actor self{sys};
  for (int i = 0; i < 20; ++i)
    self->request(echo, std::chrono::seconds(5), i).receive([&](int r) { EXPECT_EQ(r, i + 1); },
                                                            [&](caf::error& e) { FAIL() << sys.render(e); });
  std::map<std::string, long> start;
  for (auto& tid : thread_ids())
    if (!before.count(tid))
      start[tid] = wakeups(tid);
  ASSERT_FALSE(start.empty());
  std::this_thread::sleep_for(std::chrono::seconds(1));
  long woke = 0;
  for (auto& [tid, n] : start)
    woke += wakeups(tid) - n;
  // Polling workers (CAF's work-stealing policy, 10 ms relaxed sleep) wake
  // about 100 times in this second each; a blocked one not at all. A few
  // wake-ups are allowed for CAF's own housekeeping.
  EXPECT_LE(woke, 5) << "the actor system's threads woke " << woke << " times in 1 s with nothing to do";
}

} // namespace
