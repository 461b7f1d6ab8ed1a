#include "pg/blocking.hpp"

#include <thread>

#include <gtest/gtest.h>

namespace slotd::pg {
namespace {

// The work runs on the pool's thread, and the coroutine goes on on its own
// (the I/O) thread afterwards: fsyncs never stall the I/O thread.
TEST(RunBlocking, RunsOnThePoolAndResumesAtHome) {
  boost::asio::io_context io;
  boost::asio::thread_pool pool(1);
  std::thread::id io_thread, work_thread, after;
  std::function<boost::asio::awaitable<void>()> task = [&]() -> boost::asio::awaitable<void> {
    io_thread = std::this_thread::get_id();
    auto job = [&] {
      work_thread = std::this_thread::get_id();
      return 42;
    };
    int r = co_await run_blocking(pool, job);
    EXPECT_EQ(r, 42);
    after = std::this_thread::get_id();
  };
  boost::asio::co_spawn(io, task, boost::asio::detached);
  io.run();
  pool.join();
  EXPECT_NE(work_thread, std::thread::id{});
  EXPECT_NE(work_thread, io_thread);
  EXPECT_EQ(after, io_thread);
}

} // namespace
} // namespace slotd::pg
