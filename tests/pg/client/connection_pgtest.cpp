// pg::connection against real servers from the harness.
// g++ 12 reports a false -Wmismatched-new-delete inside Asio coroutine frames.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include "pg/client/connection.hpp"
#include "pg/client/reconnect.hpp"

#include <dirent.h>

#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "tests/pg/asio_test_support.hpp"
#include "tests/support/pg_harness.hpp"

namespace slotd::pg {
namespace {

using test_support::run_io;
using test_support::unused_port;

using namespace std::chrono_literals;
namespace asio = boost::asio;

connection_options options_for(const testing::node& n, const std::string& db = "postgres") {
  connection_options o;
  o.conninfo = n.conninfo(db) + " password=not-needed-secret";
  o.name = "test " + n.name();
  o.statement_timeout = 0ms;
  return o;
}

int open_fds() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  while (auto* e = ::readdir(d))
    if (e->d_name[0] != '.')
      ++n;
  ::closedir(d);
  return n;
}

class connection_pgtest : public ::testing::Test {
protected:
  static void SetUpTestSuite() { cluster_ = new testing::cluster(testing::cluster_options{.replicas = 0}); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  testing::node& primary() { return cluster_->primary(); }
  static testing::cluster* cluster_;
};
testing::cluster* connection_pgtest::cluster_ = nullptr;

TEST_F(connection_pgtest, sql_error_leaves_the_connection_usable) {
  run_io([&](asio::io_context& io) -> asio::awaitable<void> {
    connection conn(io.get_executor(), options_for(primary()));
    auto c = co_await conn.connect(clock::now() + 5s);
    EXPECT_TRUE(c) << (c ? "" : c.error().what());
    EXPECT_GE(conn.server_version(), 120000);

    auto bad = co_await conn.exec("SELECT * FROM no_such_table", clock::now() + 2s);
    EXPECT_FALSE(bad);
    if (!bad) {
      EXPECT_EQ(bad.error().call, "result");
      EXPECT_EQ(bad.error().sqlstate, "42P01");
      EXPECT_FALSE(is_connection_failure(bad.error()));
    }
    params missing_slot{"no_such_slot", "0/1"};
    auto undefined = co_await conn.exec("SELECT pg_catalog.pg_replication_slot_advance($1, $2::pg_lsn)",
                                        missing_slot, clock::now() + 2s);
    EXPECT_FALSE(undefined);
    if (!undefined) {
      EXPECT_TRUE(undefined.error().sqlstate == "42704") << undefined.error().what();
    }

    params p{"a'b", std::nullopt, "16/B374D848"};
    auto ok = co_await conn.exec("SELECT $1::text, $2::text IS NULL, $3::pg_lsn", p, clock::now() + 2s);
    EXPECT_TRUE(ok);
    if (ok) {
      EXPECT_EQ(ok->get<std::string>(0, 0), "a'b");
      EXPECT_EQ(ok->get<bool>(0, 1), true);
      EXPECT_EQ(ok->get<lsn>(0, 2)->value(), 0x16B374D848ull);
    }
    EXPECT_TRUE(conn.connected());
  });
}

// Statements sent together (one round trip): each one's rows in order; the
// first that fails ends the batch with its error, the connection usable.
TEST_F(connection_pgtest, a_batch_returns_each_statements_rows_and_its_first_error) {
  run_io([&](asio::io_context& io) -> asio::awaitable<void> {
    connection conn(io.get_executor(), options_for(primary()));
    auto c = co_await conn.connect(clock::now() + 5s);
    EXPECT_TRUE(c) << (c ? "" : c.error().what());
    std::vector<std::string> good{"SELECT 1, 'a'::text", "SELECT g FROM generate_series(1, 3) g"};
    std::vector<std::string> failing{"SELECT 1", "SELECT * FROM no_such_table", "SELECT 3"};
    auto two = co_await conn.exec_batch(good, clock::now() + 2s);
    EXPECT_TRUE(two) << (two ? "" : two.error().what());
    if (two) {
      EXPECT_EQ(two->size(), 2u);
      if (two->size() == 2) {
        EXPECT_EQ((*two)[0].get<std::string>(0, 1), "a");
        EXPECT_EQ((*two)[1].size(), 3);
        EXPECT_EQ((*two)[1].get<std::int64_t>(2, 0), 3);
      }
    }
    auto bad = co_await conn.exec_batch(failing, clock::now() + 2s);
    EXPECT_FALSE(bad);
    if (!bad) {
      EXPECT_EQ(bad.error().sqlstate, "42P01");
      EXPECT_FALSE(is_connection_failure(bad.error()));
    }
    // The same batch, keeping what ran before the failure: the server ran
    // the first statement, not the third.
    auto kept = co_await conn.exec_batch_outcome(failing, clock::now() + 2s);
    EXPECT_TRUE(kept.failure);
    if (kept.failure) {
      EXPECT_EQ(kept.failure->sqlstate, "42P01");
    }
    EXPECT_EQ(kept.results.size(), 1u);
    if (kept.results.size() == 1) {
      EXPECT_EQ(kept.results[0].get<std::int64_t>(0, 0), 1);
    }
    auto whole = co_await conn.exec_batch_outcome(good, clock::now() + 2s);
    EXPECT_FALSE(whole.failure);
    EXPECT_EQ(whole.results.size(), 2u);
    auto after = co_await conn.exec("SELECT 42", clock::now() + 2s);
    EXPECT_TRUE(after);
    if (after) {
      EXPECT_EQ(after->get<std::int64_t>(0, 0), 42);
    }
  });
}

TEST_F(connection_pgtest, notifications_are_waited_for_until_the_deadline_and_a_lost_connection_ends_the_wait) {
  run_io([&](asio::io_context& io) -> asio::awaitable<void> {
    connection listener(io.get_executor(), options_for(primary()));
    connection sender(io.get_executor(), options_for(primary()));
    {
      auto a = co_await listener.connect(clock::now() + 5s);
      auto b = co_await sender.connect(clock::now() + 5s);
      EXPECT_TRUE(a && b);
    }
    auto listened = co_await listener.exec("LISTEN state", clock::now() + 2s);
    EXPECT_TRUE(listened);
    // Nothing sent: the wait ends at its deadline with nothing.
    auto start = clock::now();
    auto none = co_await listener.wait_notifications(start + 300ms);
    EXPECT_TRUE(none);
    if (none) {
      EXPECT_TRUE(none->empty());
    }
    EXPECT_GE(clock::now() - start, 300ms);
    // Sent by another session: the wait returns it.
    auto sent = co_await sender.exec("SELECT pg_notify('state', 'node 2: prepare_promotion')", clock::now() + 2s);
    EXPECT_TRUE(sent);
    auto got = co_await listener.wait_notifications(clock::now() + 5s);
    EXPECT_TRUE(got);
    if (got) {
      EXPECT_EQ(*got, (std::vector<notification>{{"state", "node 2: prepare_promotion"}}));
    }
    // Received with a query's result (its own NOTIFY): returned at once.
    auto own = co_await listener.exec("NOTIFY state, 'own'", clock::now() + 2s);
    EXPECT_TRUE(own);
    start = clock::now();
    auto pending = co_await listener.wait_notifications(start + 5s);
    EXPECT_TRUE(pending);
    if (pending) {
      EXPECT_EQ(*pending, (std::vector<notification>{{"state", "own"}}));
    }
    EXPECT_LT(clock::now() - start, 2s);
    // The listener's backend ends during a wait: an error, not a silent end.
    auto pid = co_await listener.exec("SELECT pg_backend_pid()", clock::now() + 2s);
    EXPECT_TRUE(pid);
    if (pid) {
      auto kill = co_await sender.exec("SELECT pg_terminate_backend(" + std::to_string(pid->get<std::int64_t>(0, 0).value_or(0)) + ")",
                                       clock::now() + 2s);
      EXPECT_TRUE(kill);
    }
    auto ended = co_await listener.wait_notifications(clock::now() + 5s);
    EXPECT_FALSE(ended);
    if (!ended) {
      EXPECT_TRUE(ended.error().connection_lost) << ended.error().what();
    }
  });
}

TEST_F(connection_pgtest, a_query_past_its_deadline_is_cancelled_and_the_connection_reused) {
  run_io([&](asio::io_context& io) -> asio::awaitable<void> {
    connection conn(io.get_executor(), options_for(primary()));
    {
      auto ok_ = co_await conn.connect(clock::now() + 5s);
      EXPECT_TRUE(ok_);
    }
    auto start = clock::now();
    auto r = co_await conn.exec("SELECT pg_catalog.pg_sleep(10)", start + 300ms);
    auto took = clock::now() - start;
    EXPECT_FALSE(r);
    if (!r) {
      EXPECT_TRUE(r.error().sqlstate == "57014") << r.error().what();
      EXPECT_FALSE(r.error().connection_lost);
    }
    EXPECT_LT(took, 300ms + 500ms);
    EXPECT_TRUE(conn.connected());
    auto again = co_await conn.exec("SELECT 1", clock::now() + 2s);
    EXPECT_TRUE(again);
    if (again) {
      EXPECT_EQ(again->get<int>(0, 0), 1);
    }
  });
}

TEST_F(connection_pgtest, statement_timeout_is_per_connection) {
  run_io([&](asio::io_context& io) -> asio::awaitable<void> {
    auto o = options_for(primary());
    o.statement_timeout = 150ms;
    connection limited(io.get_executor(), o);
    {
      auto ok_ = co_await limited.connect(clock::now() + 5s);
      EXPECT_TRUE(ok_);
    }
    auto shown = co_await limited.exec("SHOW statement_timeout", clock::now() + 2s);
    EXPECT_TRUE(shown && shown->get<std::string>(0, 0) == "150ms");
    auto slow = co_await limited.exec("SELECT pg_catalog.pg_sleep(2)", clock::now() + 5s);
    EXPECT_FALSE(slow);
    if (!slow) {
      EXPECT_TRUE(slow.error().sqlstate == "57014");
    }

    o.statement_timeout = 0ms;
    o.dbname = "app";
    connection advance(io.get_executor(), o);
    {
      auto ok_ = co_await advance.connect(clock::now() + 5s);
      EXPECT_TRUE(ok_);
    }
    auto r = co_await advance.exec("SELECT current_setting('statement_timeout'), current_database()",
                                   clock::now() + 2s);
    EXPECT_TRUE(r);
    if (r) {
      EXPECT_EQ(r->get<std::string>(0, 0), "0");
      EXPECT_EQ(r->get<std::string>(0, 1), "app");
    }
  });
}

TEST_F(connection_pgtest, notices_go_to_the_pg_logger) {
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  auto logger = std::make_shared<spdlog::logger>("pg", sink);
  spdlog::register_logger(logger);
  run_io([&](asio::io_context& io) -> asio::awaitable<void> {
    connection conn(io.get_executor(), options_for(primary()));
    {
      auto ok_ = co_await conn.connect(clock::now() + 5s);
      EXPECT_TRUE(ok_);
    }
    auto r = co_await conn.exec("DO $$BEGIN RAISE NOTICE 'hello from the server'; END$$", clock::now() + 2s);
    EXPECT_TRUE(r);
  });
  spdlog::drop("pg");
  EXPECT_NE(captured.str().find("hello from the server"), std::string::npos) << captured.str();
  EXPECT_EQ(captured.str().find("not-needed-secret"), std::string::npos);
}

TEST_F(connection_pgtest, ten_thousand_queries_leak_no_descriptor) {
  int before = open_fds();
  run_io([&](asio::io_context& io) -> asio::awaitable<void> {
    connection conn(io.get_executor(), options_for(primary()));
    {
      auto ok_ = co_await conn.connect(clock::now() + 5s);
      EXPECT_TRUE(ok_);
    }
    int failures = 0;
    for (int i = 0; i < 10000; ++i) {
      params p{std::to_string(i)};
      auto r = co_await conn.exec("SELECT $1::int + 1", p, clock::now() + 5s);
      if (!r || r->get<int>(0, 0) != i + 1)
        ++failures;
    }
    EXPECT_EQ(failures, 0);
    // Reconnects must not leak either (dup'd sockets, PGconn).
    for (int i = 0; i < 50; ++i)
      {
      auto ok_ = co_await conn.connect(clock::now() + 5s);
      EXPECT_TRUE(ok_);
    }
    conn.close();
  });
  EXPECT_EQ(open_fds(), before);
}

TEST_F(connection_pgtest, refused_connection_is_a_connection_failure) {
  run_io([&](asio::io_context& io) -> asio::awaitable<void> {
    connection_options o;
    o.conninfo = "host=127.0.0.1 port=" + std::to_string(unused_port()) + " user=postgres password=s3cret";
    connection conn(io.get_executor(), o);
    auto start = clock::now();
    auto r = co_await conn.connect(clock::now() + 5s);
    EXPECT_FALSE(r);
    EXPECT_LT(clock::now() - start, 2s);
    if (!r) {
      EXPECT_TRUE(is_connection_failure(r.error())) << r.error().what();
      EXPECT_EQ(r.error().what().find("s3cret"), std::string::npos);
    }
  });
}

// Its own server: it is stopped and started.
TEST(connection_restart_pgtest, server_stopped_mid_query_then_the_connection_comes_back) {
  testing::cluster c(testing::cluster_options{.replicas = 0, .create_app_database = false});
  auto& node = c.primary();
  run_io([&](asio::io_context& io) -> asio::awaitable<void> {
    connection conn(io.get_executor(), options_for(node));
    {
      auto ok_ = co_await conn.connect(clock::now() + 5s);
      EXPECT_TRUE(ok_);
    }

    // Stop the server (blocking harness call) while the query runs.
    std::thread stopper([&] {
      std::this_thread::sleep_for(300ms);
      node.stop_fast();
    });
    auto r = co_await conn.exec("SELECT pg_catalog.pg_sleep(20)", clock::now() + 15s);
    stopper.join();
    EXPECT_FALSE(r);
    if (!r) {
      EXPECT_TRUE(is_connection_failure(r.error())) << r.error().what();
      EXPECT_TRUE(r.error().sqlstate == "57P01" || r.error().sqlstate.empty()) << r.error().what();
    }
    EXPECT_FALSE(conn.connected());

    reconnect_policy policy(backoff_options{50ms, 200ms, 2.0, 0.0});
    auto down = co_await ensure_connected(conn, policy, clock::now() + 3s);
    EXPECT_FALSE(down);
    if (!down) {
      EXPECT_TRUE(is_connection_failure(down.error())) << down.error().what();
    }

    node.start(); // blocking, test only
    result<void> up = down;
    for (auto until = clock::now() + 10s; !up && clock::now() < until;) {
      asio::steady_timer t(io, 50ms);
      co_await t.async_wait(asio::use_awaitable);
      up = co_await ensure_connected(conn, policy, clock::now() + 3s);
    }
    EXPECT_TRUE(up) << (up ? "" : up.error().what());
    auto again = co_await conn.exec("SELECT 1", clock::now() + 2s);
    EXPECT_TRUE(again);
  });
}

} // namespace
} // namespace slotd::pg
