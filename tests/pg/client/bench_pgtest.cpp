// Per-query round trip of the async client against blocking libpq on the same
// server: median over runs. scripts/bench-pg runs this test alone and checks
// the ratio (<= 1.5); here it only has to be sane (shared CI machine).
//   SLOTD_BENCH_RUNS (default 5), SLOTD_BENCH_QUERIES (default 1000)
// g++ 12 reports a false -Wmismatched-new-delete inside Asio coroutine frames.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include <gtest/gtest.h>

#include "pg/client/connection.hpp"
#include "tests/support/pg_harness.hpp"

namespace slotd::pg {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using micros = std::chrono::duration<double, std::micro>;

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && std::atoi(v) > 0 ? std::atoi(v) : fallback;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double blocking_run(const std::string& conninfo, int queries) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  EXPECT_EQ(PQstatus(c), CONNECTION_OK);
  auto start = clock::now();
  for (int i = 0; i < queries; ++i) {
    auto v = std::to_string(i);
    const char* values[] = {v.c_str()};
    PGresult* r = PQexecParams(c, "SELECT $1::int + 1", 1, nullptr, values, nullptr, nullptr, 0);
    EXPECT_EQ(PQresultStatus(r), PGRES_TUPLES_OK);
    PQclear(r);
  }
  auto took = micros(clock::now() - start).count() / queries;
  PQfinish(c);
  return took;
}

double async_run(const std::string& conninfo, int queries) {
  asio::io_context io;
  double took = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        connection_options o;
        o.conninfo = conninfo;
        connection conn(io.get_executor(), o);
        auto c = co_await conn.connect(clock::now() + 5s);
        EXPECT_TRUE(c);
        auto start = clock::now();
        for (int i = 0; i < queries; ++i) {
          params p{std::to_string(i)};
          auto r = co_await conn.exec("SELECT $1::int + 1", p, clock::now() + 5s);
          EXPECT_TRUE(r);
        }
        took = micros(clock::now() - start).count() / queries;
      },
      asio::detached);
  io.run();
  return took;
}

TEST(bench_pgtest, async_round_trip_against_blocking_libpq) {
  testing::cluster c(testing::cluster_options{.replicas = 0, .create_app_database = false});
  const auto conninfo = c.primary().conninfo();
  const int runs = env_int("SLOTD_BENCH_RUNS", 5);
  const int queries = env_int("SLOTD_BENCH_QUERIES", 1000);
  std::vector<double> async_us, blocking_us;
  for (int i = 0; i < runs; ++i) {
    blocking_us.push_back(blocking_run(conninfo, queries));
    async_us.push_back(async_run(conninfo, queries));
  }
  double a = median(async_us), b = median(blocking_us);
  std::cout << "bench-pg: " << runs << " runs x " << queries << " queries: async " << a << " us/query, blocking "
            << b << " us/query, ratio " << a / b << "\n";
  EXPECT_LT(a / b, 3.0);
}

} // namespace
} // namespace slotd::pg
