// The agent's scheduler: CAF's actors and delayed messages on the one Asio
// I/O thread (actors/io_scheduler.hpp), with no CAF worker or clock thread.
#include "actors/agent.hpp"
#include "actors/io_bridge.hpp"
#include "actors/io_scheduler.hpp"

#include <caf/actor_system.hpp>
#include <caf/after.hpp>
#include <caf/delegated.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>

#include <boost/asio/post.hpp>

#include <atomic>
#include <chrono>
#include <dirent.h>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using slotd::actors::io_runtime;

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

std::thread::id io_thread_id(io_runtime& io) {
  std::promise<std::thread::id> p;
  boost::asio::post(io.context(), [&] { p.set_value(std::this_thread::get_id()); });
  return p.get_future().get();
}

// An actor system on `io`'s thread, destroyed before `io` stops (the order
// the agent keeps).
struct on_io {
  io_runtime io;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  on_io() {
    slotd::actors::run_actors_on_io_thread(cfg, io);
    sys = std::make_unique<caf::actor_system>(cfg);
  }
  ~on_io() {
    sys.reset();
    io.stop();
  }
};

TEST(AgentScheduler, TheActorsRunOnTheIoThread) {
  on_io t;
  auto* sched = dynamic_cast<slotd::actors::io_coordinator*>(&t.sys->scheduler());
  ASSERT_NE(sched, nullptr) << "the agent's actor system does not use the I/O thread's scheduler";
  EXPECT_EQ(sched->max_throughput(), slotd::actors::io_max_throughput);
  auto io_id = io_thread_id(t.io);
  auto where = t.sys->spawn([]() -> caf::behavior {
    return {[](int x) {
      std::ostringstream id;
      id << std::this_thread::get_id();
      return std::to_string(x) + "@" + id.str();
    }};
  });
  std::ostringstream want;
  want << io_id;
  caf::scoped_actor self{*t.sys};
  for (int i = 0; i < 5; ++i)
    self->request(where, 5s, i).receive([&](std::string& r) { EXPECT_EQ(r, std::to_string(i) + "@" + want.str()); },
                                        [&](caf::error& e) { FAIL() << t.sys->render(e); });
}

TEST(AgentScheduler, NoThreadOfTheActorSystemWakesWhenIdle) {
  auto before = thread_ids();
  on_io t;
  // Some work first (messages, a delayed message), so that every thread has
  // run and gone back to waiting.
  auto echo = t.sys->spawn([]() -> caf::behavior { return {[](int x) { return x + 1; }}; });
  caf::scoped_actor self{*t.sys};
  for (int i = 0; i < 20; ++i)
    self->request(echo, 5s, i).receive([&](int r) { EXPECT_EQ(r, i + 1); },
                                       [&](caf::error& e) { FAIL() << t.sys->render(e); });
  self->delayed_send(self, 10ms, 7);
  self->receive([](int) {}, caf::after(5s) >> [] { FAIL() << "the delayed message did not come"; });
  std::map<std::string, long> start;
  for (auto& tid : thread_ids())
    if (!before.count(tid))
      start[tid] = wakeups(tid);
  ASSERT_FALSE(start.empty());
  std::this_thread::sleep_for(1s);
  long woke = 0;
  for (auto& [tid, n] : start)
    woke += wakeups(tid) - n;
  // CAF's work-stealing workers (10 ms relaxed sleep) wake about 100 times a
  // second each; a thread blocked until work arrives, not at all.
  EXPECT_LE(woke, 2) << "the threads woke " << woke << " times in 1 s with nothing to do";
  // Threads: the I/O thread, its blocking pool and CAF's printer; no worker
  // or clock thread of CAF's own scheduler.
  EXPECT_LE(start.size(), 3u);
}

// Delayed messages come in the order they are due, each after its delay,
// whatever the order they were sent in; only an event earlier than the one
// the timer waits for arms it again.
TEST(AgentScheduler, DelayedMessagesComeWhenDueInTheirOrder) {
  on_io t;
  auto& clock = dynamic_cast<slotd::actors::io_coordinator&>(t.sys->scheduler()).clock();
  caf::scoped_actor self{*t.sys};
  auto start = std::chrono::steady_clock::now();
  auto arms = clock.arms();
  self->delayed_send(self, 400ms, 400);
  EXPECT_EQ(clock.arms(), arms + 1);
  self->delayed_send(self, 600ms, 600);
  EXPECT_EQ(clock.arms(), arms + 1) << "a later message armed the timer again";
  self->delayed_send(self, 100ms, 100);
  EXPECT_EQ(clock.arms(), arms + 2) << "an earlier message did not arm the timer";
  std::vector<std::pair<int, std::chrono::milliseconds>> got;
  for (int i = 0; i < 3; ++i)
    self->receive(
        [&](int x) {
          got.emplace_back(x, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start));
        },
        caf::after(5s) >> [] { FAIL() << "a delayed message did not come"; });
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].first, 100);
  EXPECT_EQ(got[1].first, 400);
  EXPECT_EQ(got[2].first, 600);
  for (auto& [x, at] : got)
    EXPECT_GE(at.count(), x) << "message " << x << " came early";
}

// A delayed message an actor sends itself (the HA loop's tick), and a
// request timeout of an actor on the I/O thread.
TEST(AgentScheduler, AnActorsTimersFireOnTheIoThread) {
  on_io t;
  auto io_id = io_thread_id(t.io);
  auto silent = t.sys->spawn([]() -> caf::behavior { return {[](int) -> caf::result<int> { return caf::delegated<int>(); }}; });
  auto fired_on_io = std::make_shared<std::atomic<int>>(0);
  auto timed_out = std::make_shared<std::atomic<bool>>(false);
  auto ticker = t.sys->spawn([=](caf::event_based_actor* self) -> caf::behavior {
    self->delayed_send(self, 50ms, caf::atom("tick"));
    self->request(silent, 100ms, 1).then([](int) {}, [=](caf::error&) { *timed_out = true; });
    return {[=](caf::atom_value) {
      if (std::this_thread::get_id() == io_id)
        ++*fired_on_io;
      if (*fired_on_io < 3)
        self->delayed_send(self, 20ms, caf::atom("tick"));
    }};
  });
  auto until = std::chrono::steady_clock::now() + 5s;
  while ((*fired_on_io < 3 || !*timed_out) && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(*fired_on_io, 3);
  EXPECT_TRUE(*timed_out) << "the request timeout did not fire";
  caf::anon_send_exit(ticker, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(silent, caf::exit_reason::user_shutdown);
}

// The actor system goes while a delayed message is still pending: its
// destruction does not hang, and the I/O thread stops after it.
TEST(AgentScheduler, ShutsDownWithATimerPending) {
  auto began = std::chrono::steady_clock::now();
  {
    on_io t;
    caf::scoped_actor self{*t.sys};
    auto a = t.sys->spawn([]() -> caf::behavior { return {[](int) {}}; });
    self->delayed_send(a, std::chrono::hours(1), 1);
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - began, 5s);
}

// An actor that spawns another on the I/O thread (the HA loop spawns its
// advance workers): CAF then holds its logger in that thread's storage, and
// the actor system's destructor waited for it for ever.
TEST(AgentScheduler, ShutsDownAfterAnActorSpawnedAnother) {
  auto began = std::chrono::steady_clock::now();
  {
    on_io t;
    caf::scoped_actor self{*t.sys};
    auto parent = t.sys->spawn([](caf::event_based_actor* me) -> caf::behavior {
      return {[me](int x) {
        auto child = me->spawn([]() -> caf::behavior { return {[](int y) { return y * 2; }}; });
        me->monitor(child);
        return me->delegate(child, x);
      }};
    });
    self->request(parent, 5s, 21).receive([](int r) { EXPECT_EQ(r, 42); },
                                          [&](caf::error& e) { FAIL() << t.sys->render(e); });
    caf::anon_send_exit(parent, caf::exit_reason::user_shutdown);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - began, 5s) << "the actor system's destruction hung";
}

} // namespace
