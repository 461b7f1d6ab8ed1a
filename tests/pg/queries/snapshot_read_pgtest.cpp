// read_snapshot_at on a real server (docs/slot-rules.md Q10): the leader's
// serialized decoding snapshot at a state file's restart_lsn, none for a
// slot that never moved, and "unusable" when the slot moved on and a
// checkpoint removed the file between the two reads of a copy.
// g++ 12 reports a false -Wmismatched-new-delete inside Asio coroutine frames.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <gtest/gtest.h>

#include "pg/client/connection.hpp"
#include "pg/queries/read.hpp"
#include "pg/slotfile/snapshot_file.hpp"
#include "tests/pg/asio_test_support.hpp"
#include "tests/support/pg_harness.hpp"

namespace slotd::pg::queries {
namespace {

using test_support::run_io;
using namespace std::chrono_literals;
namespace asio = boost::asio;

lsn restart_of(const testing::node& n, const std::string& slot) {
  return lsn::parse(n.scalar("SELECT restart_lsn::text FROM pg_replication_slots WHERE slot_name = '" + slot + "'")
                        .value())
      .value();
}

bool has_file(const testing::node& n, lsn at) {
  return n.scalar("SELECT (pg_stat_file('" + slotfile::snapshot_file_path(at) + "', true)).size IS NOT NULL") == "t";
}

// Decoding passes a running-xacts record (CHECKPOINT logs one) and consumes
// past it, until restart_lsn leaves `from`.
lsn move_on(testing::node& p, lsn from) {
  for (int i = 0; i < 20 && restart_of(p, "cdc") == from; ++i) {
    p.exec("INSERT INTO t VALUES (1)", "app");
    p.exec("CHECKPOINT");
    p.query("SELECT 1 FROM pg_logical_slot_get_changes('cdc', NULL, NULL)", "app");
  }
  return restart_of(p, "cdc");
}

TEST(snapshot_read_pgtest, snapshot_none_or_unusable) {
  testing::cluster c(testing::cluster_options{.replicas = 0});
  auto& p = c.primary();
  p.exec("CREATE TABLE t (id int)", "app");
  p.exec("SELECT pg_create_logical_replication_slot('cdc', 'test_decoding')", "app");
  const lsn created = restart_of(p, "cdc");
  ASSERT_FALSE(has_file(p, created));
  const lsn first = move_on(p, created);
  ASSERT_NE(first, created);
  ASSERT_TRUE(has_file(p, first));

  connection_options o;
  o.conninfo = p.conninfo("app");
  o.name = p.name();
  auto read = [&](lsn at) {
    result<snapshot_read> out = pg::error{};
    run_io([&](asio::io_context& io) -> asio::awaitable<void> {
      connection conn(io.get_executor(), o);
      auto until = clock::now() + 10s;
      if (co_await conn.connect(until))
        out = co_await read_snapshot_at(conn, "cdc", at, until);
    });
    return out;
  };

  // The file at the slot's restart_lsn, valid.
  auto at_first = read(first);
  ASSERT_TRUE(at_first) << at_first.error().what();
  EXPECT_TRUE(at_first->unusable.empty()) << at_first->unusable;
  EXPECT_TRUE(slotfile::validate_snapshot_file(at_first->bytes));

  // The slot moves on and a checkpoint removes the file at `first`: a copy
  // that read the state file at `first` must not go without it.
  const lsn second = move_on(p, first);
  ASSERT_NE(second, first);
  p.exec("CHECKPOINT");
  ASSERT_FALSE(has_file(p, first));
  auto gone = read(first);
  ASSERT_TRUE(gone) << gone.error().what();
  EXPECT_TRUE(gone->bytes.empty());
  EXPECT_NE(gone->unusable.find("moved on from restart_lsn " + first.str()), std::string::npos) << gone->unusable;

  // A slot still at its creation point has no file and needs none.
  p.exec("SELECT pg_drop_replication_slot('cdc')");
  p.exec("SELECT pg_create_logical_replication_slot('cdc', 'test_decoding')", "app");
  const lsn fresh = restart_of(p, "cdc");
  ASSERT_FALSE(has_file(p, fresh));
  auto none = read(fresh);
  ASSERT_TRUE(none) << none.error().what();
  EXPECT_TRUE(none->bytes.empty());
  EXPECT_TRUE(none->unusable.empty()) << none->unusable;
}

} // namespace
} // namespace slotd::pg::queries
