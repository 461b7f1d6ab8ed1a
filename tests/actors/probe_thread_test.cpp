// actors/probe_thread.hpp: probes run on one thread, not the caller's, one
// after another in order, and the same thread serves every probe (no
// thread per probe).
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "actors/probe_thread.hpp"

using namespace std::chrono_literals;

TEST(probe_thread, probes_run_in_order_on_one_thread_that_is_not_the_callers) {
  std::mutex m;
  std::vector<int> order;
  std::vector<std::thread::id> threads;
  std::promise<void> done;
  for (int i = 0; i < 20; ++i)
    slotd::actors::run_probe([&, i] {
      std::lock_guard lock{m};
      order.push_back(i);
      threads.push_back(std::this_thread::get_id());
      if (i == 19)
        done.set_value();
    });
  ASSERT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
  std::lock_guard lock{m};
  ASSERT_EQ(order.size(), 20u);
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(order[i], i);
  for (auto& t : threads) {
    EXPECT_EQ(t, threads.front()) << "one thread for every probe";
    EXPECT_NE(t, std::this_thread::get_id());
  }
}

// A probe that blocks holds the ones after it (the caller runs one at a
// time and reports a late one), and they run once it returns.
TEST(probe_thread, a_blocked_probe_holds_the_next_until_it_returns) {
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<void> second_ran;
  auto second = second_ran.get_future();
  slotd::actors::run_probe([released] { released.wait(); });
  slotd::actors::run_probe([&] { second_ran.set_value(); });
  EXPECT_EQ(second.wait_for(200ms), std::future_status::timeout);
  release.set_value();
  EXPECT_EQ(second.wait_for(10s), std::future_status::ready);
}
