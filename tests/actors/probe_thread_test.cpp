// actors/probe_thread.hpp: probes run on one thread, not the caller's, one
// after another in order, and the same thread serves every probe (no
// thread per probe).
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "actors/probe_thread.hpp"

using namespace std::chrono_literals;

// What the probes record; shared with them, so that a probe still queued
// when a test gives up touches nothing freed.
struct record {
  std::mutex m;
  std::vector<int> order;
  std::vector<std::thread::id> threads;
  std::promise<void> done;
};

TEST(probe_thread, probes_run_in_order_on_one_thread_that_is_not_the_callers) {
  auto r = std::make_shared<record>();
  auto done = r->done.get_future();
  for (int i = 0; i < 20; ++i)
    slotd::actors::run_probe([r, i] {
      std::lock_guard lock{r->m};
      r->order.push_back(i);
      r->threads.push_back(std::this_thread::get_id());
      if (i == 19)
        r->done.set_value();
    });
  ASSERT_EQ(done.wait_for(10s), std::future_status::ready);
  std::lock_guard lock{r->m};
  ASSERT_EQ(r->order.size(), 20u);
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(r->order[i], i);
  for (auto& t : r->threads) {
    EXPECT_EQ(t, r->threads.front()) << "one thread for every probe";
    EXPECT_NE(t, std::this_thread::get_id());
  }
}

TEST(probe_thread, a_probe_that_throws_leaves_the_thread_to_the_next) {
  auto r = std::make_shared<record>();
  auto done = r->done.get_future();
  slotd::actors::run_probe([] { throw std::runtime_error("a probe's bug"); });
  slotd::actors::run_probe([r] { r->done.set_value(); });
  EXPECT_EQ(done.wait_for(10s), std::future_status::ready);
}

// A probe that blocks holds the ones after it (the caller runs one at a
// time and reports a late one), and they run once it returns.
TEST(probe_thread, a_blocked_probe_holds_the_next_until_it_returns) {
  std::promise<void> release;
  auto released = release.get_future().share();
  auto second_ran = std::make_shared<std::promise<void>>();
  auto second = second_ran->get_future();
  slotd::actors::run_probe([released] { released.wait(); });
  slotd::actors::run_probe([second_ran] { second_ran->set_value(); });
  EXPECT_EQ(second.wait_for(200ms), std::future_status::timeout);
  release.set_value();
  EXPECT_EQ(second.wait_for(10s), std::future_status::ready);
}
