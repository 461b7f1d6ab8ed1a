// g++ 12 reports a false -Wmismatched-new-delete inside Asio coroutine frames.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include "pg/client/reconnect.hpp"

#include <gtest/gtest.h>

#include "tests/pg/asio_test_support.hpp"

namespace slotd::pg {
namespace {

using test_support::unused_port;

using namespace std::chrono_literals;

TEST(backoff, grows_exponentially_up_to_max_and_resets) {
  backoff b(backoff_options{100ms, 1000ms, 2.0, 0.0});
  EXPECT_EQ(b.next_delay(), 100ms);
  EXPECT_EQ(b.next_delay(), 200ms);
  EXPECT_EQ(b.next_delay(), 400ms);
  EXPECT_EQ(b.next_delay(), 800ms);
  EXPECT_EQ(b.next_delay(), 1000ms);
  EXPECT_EQ(b.next_delay(), 1000ms);
  EXPECT_EQ(b.failures(), 6u);
  b.reset();
  EXPECT_EQ(b.failures(), 0u);
  EXPECT_EQ(b.next_delay(), 100ms);
}

TEST(backoff, jitter_stays_within_bounds) {
  backoff b(backoff_options{1000ms, 1000ms, 2.0, 0.5});
  for (int i = 0; i < 100; ++i) {
    auto d = b.next_delay();
    EXPECT_GE(d, 500ms);
    EXPECT_LE(d, 1000ms);
  }
}

TEST(reconnect_policy, gates_attempts_until_the_delay_passed) {
  reconnect_policy p(backoff_options{100ms, 1000ms, 2.0, 0.0});
  auto t0 = clock::now();
  EXPECT_TRUE(p.may_attempt(t0));
  error e;
  e.message = "refused";
  p.on_failure(t0, e);
  EXPECT_FALSE(p.may_attempt(t0 + 50ms));
  EXPECT_TRUE(p.may_attempt(t0 + 100ms));
  p.on_failure(t0 + 100ms, e);
  EXPECT_FALSE(p.may_attempt(t0 + 250ms));
  EXPECT_TRUE(p.may_attempt(t0 + 300ms));
  p.on_success();
  EXPECT_TRUE(p.may_attempt(t0));
  EXPECT_EQ(p.failures(), 0u);
}

TEST(ensure_connected, refused_connection_is_classified_and_backs_off) {
  boost::asio::io_context io;
  connection_options o;
  o.conninfo = "host=127.0.0.1 port=" + std::to_string(unused_port()) + " user=x password=topsecret dbname=postgres";
  o.name = "test";
  connection conn(io.get_executor(), o);
  reconnect_policy policy(backoff_options{10s, 60s, 2.0, 0.0});
  std::optional<result<void>> first, second;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        first = co_await ensure_connected(conn, policy, clock::now() + 3s);
        second = co_await ensure_connected(conn, policy, clock::now() + 3s);
      },
      boost::asio::detached);
  io.run();
  ASSERT_TRUE(first && second);
  ASSERT_FALSE(*first);
  EXPECT_TRUE(is_connection_failure(first->error())) << first->error().what();
  EXPECT_EQ(first->error().call, "PQconnectPoll");
  EXPECT_EQ(first->error().what().find("topsecret"), std::string::npos);
  ASSERT_FALSE(*second);
  EXPECT_EQ(second->error().call, "reconnect"); // no second attempt within the backoff
  EXPECT_TRUE(is_connection_failure(second->error()));
  EXPECT_EQ(policy.failures(), 1u);
  EXPECT_FALSE(conn.connected());
  EXPECT_EQ(conn.describe().find("topsecret"), std::string::npos);
}

TEST(connection, exec_without_connect_is_an_error_value) {
  boost::asio::io_context io;
  connection conn(io.get_executor(), connection_options{});
  std::optional<result<rows>> r;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> { r = co_await conn.exec("SELECT 1", clock::now() + 1s); },
      boost::asio::detached);
  io.run();
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r);
  EXPECT_TRUE(r->error().connection_lost);
}

} // namespace
} // namespace slotd::pg
