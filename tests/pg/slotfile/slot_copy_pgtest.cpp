// A logical slot's state file read from a primary over SQL (the copy query),
// validated, installed into a stopped replica (stop/start through
// pg::server), and visible in the replica's pg_replication_slots after start.
// g++ 12 reports a false -Wmismatched-new-delete inside Asio coroutine frames.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <unistd.h>

#include <gtest/gtest.h>

#include "pg/client/connection.hpp"
#include "pg/queries/slots.hpp"
#include "pg/server/server_control.hpp"
#include "pg/slotfile/install.hpp"
#include "pg/slotfile/slot_state.hpp"
#include "tests/pg/asio_test_support.hpp"
#include "tests/pg/server_of.hpp"
#include "tests/support/pg_harness.hpp"

namespace slotd::pg {
namespace {

using test_support::run_io;
using test_support::server_of;

using namespace std::chrono_literals;
namespace asio = boost::asio;

// The copy step as the copy task runs it: fetch, validate EVERYTHING, only
// then stop, install and start (start also after a failed install).
struct copy_outcome {
  std::optional<pg::error> refused; // validation failed: nothing was stopped
  bool stopped = false;
  bool installed = false;
  bool started = false;
};

asio::awaitable<copy_outcome> copy_slots(asio::io_context& io, const testing::node& replica,
                                         std::vector<queries::slot_copy_row> rows,
                                         std::vector<slotfile::expected_slot> expected) {
  copy_outcome out;
  std::vector<slotfile::state_file> files;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto v = slotfile::validate_slot_state(rows[i].state, expected[i]);
    if (!v) {
      out.refused = v.error();
      co_return out;
    }
    files.push_back({rows[i].name, rows[i].state});
  }
  auto stopped = co_await server::stop_server(io.get_executor(), server_of(replica));
  out.stopped = stopped && stopped->ok();
  if (!out.stopped)
    co_return out;
  out.installed = static_cast<bool>(slotfile::install_slot_files(replica.data_dir(), files));
  auto started = co_await server::start_server(io.get_executor(), server_of(replica));
  out.started = started && started->ok();
  co_return out;
}

TEST(slot_copy_pgtest, logical_slot_state_copied_from_the_primary_appears_on_the_replica) {
  testing::cluster c(testing::cluster_options{.replicas = 1});
  auto& primary = c.primary();
  auto& replica = c.replica(0);
  primary.exec("SELECT pg_create_logical_replication_slot('cdc', 'test_decoding')", "app");
  primary.exec("CREATE TABLE t (id int)", "app");
  primary.exec("INSERT INTO t VALUES (1)", "app");
  // Consume a change so confirmed_flush moves, then CHECKPOINT: the state
  // file is rewritten only at checkpoints
  // (docs/implementation-notes.md #25).
  primary.exec("SELECT count(*) FROM pg_logical_slot_get_changes('cdc', NULL, NULL)", "app");
  primary.exec("CHECKPOINT");
  auto datoid = primary.scalar("SELECT oid FROM pg_database WHERE datname = 'app'");
  replica.wait_replay(primary.current_lsn());

  run_io([&](asio::io_context& io) -> asio::awaitable<void> {
    connection_options o;
    o.conninfo = primary.conninfo();
    o.name = "leader";
    connection leader(io.get_executor(), o);
    auto connected = co_await leader.connect(clock::now() + 5s);
    EXPECT_TRUE(connected);
    params names{queries::text_array({"cdc", "no_such_slot"})};
    auto fetched = co_await leader.exec(queries::copy_slots_sql(leader.server_version()), names, clock::now() + 5s);
    EXPECT_TRUE(fetched) << (fetched ? "" : fetched.error().what());
    if (!fetched)
      co_return;
    auto rows = queries::parse_copy_rows(*fetched);
    EXPECT_TRUE(rows);
    if (!rows || rows->size() != 1) {
      ADD_FAILURE() << "expected the cdc row";
      co_return;
    }
    auto row = (*rows)[0];
    EXPECT_EQ(row.name, "cdc");
    EXPECT_EQ(row.database, "app");
    EXPECT_EQ(row.plugin, "test_decoding");

    // The real file, per the documented layout of this major.
    auto parsed = slotfile::parse_slot_state(row.state);
    EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().what());
    if (!parsed)
      co_return;
    std::cout << "[slot file] major " << testing::pg_install::current().major << ": " << row.state.size()
              << " bytes, version " << parsed->version << ", length " << parsed->length << "\n";
    EXPECT_EQ(parsed->name, "cdc");
    EXPECT_EQ(parsed->plugin, "test_decoding");
    EXPECT_EQ(std::to_string(parsed->database), datoid.value_or("?"));
    EXPECT_EQ(parsed->confirmed_flush, row.confirmed_flush_lsn);
    EXPECT_EQ(parsed->catalog_xmin, row.catalog_xmin);

    slotfile::expected_slot expected;
    expected.name = "cdc";
    expected.database_oid = parsed->database;
    expected.plugin = "test_decoding";

    // Truncated or foreign files are refused before the replica is stopped.
    auto truncated = row;
    truncated.state.resize(truncated.state.size() - 9);
    std::vector<queries::slot_copy_row> truncated_rows{truncated};
    std::vector<slotfile::expected_slot> expect_cdc{expected};
    auto t = co_await copy_slots(io, replica, truncated_rows, expect_cdc);
    EXPECT_TRUE(t.refused && !t.stopped);
    EXPECT_TRUE(replica.running());
    auto foreign = row;
    foreign.state[20] ^= 0x20; // the name inside, checksum then wrong too
    std::vector<queries::slot_copy_row> foreign_rows{foreign};
    auto f = co_await copy_slots(io, replica, foreign_rows, expect_cdc);
    EXPECT_TRUE(f.refused && !f.stopped);
    auto other_name = expected;
    other_name.name = "other";
    std::vector<queries::slot_copy_row> good_rows{row};
    std::vector<slotfile::expected_slot> expect_other{other_name};
    auto n = co_await copy_slots(io, replica, good_rows, expect_other);
    EXPECT_TRUE(n.refused && !n.stopped);
    EXPECT_TRUE(replica.running());

    auto done = co_await copy_slots(io, replica, good_rows, expect_cdc);
    EXPECT_FALSE(done.refused);
    EXPECT_TRUE(done.stopped && done.installed && done.started);
  });

  EXPECT_TRUE(replica.running());
  auto slots = replica.query("SELECT slot_name, slot_type, plugin, database, confirmed_flush_lsn::text "
                             "FROM pg_replication_slots WHERE slot_name = 'cdc'");
  ASSERT_EQ(slots.size(), 1u);
  EXPECT_EQ(slots[0][1], "logical");
  EXPECT_EQ(slots[0][2], "test_decoding");
  EXPECT_EQ(slots[0][3], "app");
  struct stat st{};
  ASSERT_EQ(::stat((replica.data_dir() / "pg_replslot" / "cdc" / "state").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

} // namespace
} // namespace slotd::pg
