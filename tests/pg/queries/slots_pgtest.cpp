// Every statement of pg/queries on a real server of SLOTD_PG_BIN's major
// (scripts/test --matrix runs this on 12-18): the version-dependent columns
// (wal_status 13+, failover/synced 17+), idempotent create, safe drop,
// catalog_xmin and copy rows on a primary, and the core of a slot copy: a
// logical slot's state file installed into a stopped replica and advanced there;
// the decoding snapshot a copy reads with it.
// g++ 12 reports a false -Wmismatched-new-delete inside Asio coroutine frames.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <gtest/gtest.h>

#include "pg/client/connection.hpp"
#include "pg/queries/node_state.hpp"
#include "pg/queries/read.hpp"
#include "pg/queries/slot_details.hpp"
#include "pg/queries/slots.hpp"
#include "pg/slotfile/install.hpp"
#include "pg/slotfile/slot_state.hpp"
#include "pg/slotfile/snapshot_file.hpp"
#include "tests/pg/asio_test_support.hpp"
#include "tests/support/pg_harness.hpp"

namespace slotd::pg::queries {
namespace {

using test_support::run_io;
using namespace std::chrono_literals;
namespace asio = boost::asio;

connection_options options_for(const testing::node& n) {
  connection_options o;
  o.conninfo = n.conninfo("app");
  o.name = n.name();
  return o;
}

deadline soon() { return clock::now() + 10s; }

using testing::eventually;

// Runs `sql`; a failure is a test failure and yields no rows.
asio::awaitable<rows> run(connection& c, std::string sql, params p) {
  auto r = co_await c.exec(std::move(sql), std::move(p), soon());
  EXPECT_TRUE(r) << c.describe() << ": " << (r ? "" : r.error().what());
  co_return r ? std::move(*r) : rows{};
}
asio::awaitable<rows> run(connection& c, std::string sql) {
  params none;
  co_return co_await run(c, std::move(sql), none);
}

template <class T>
T value_or(const result<T>& r, T fallback) {
  return r ? *r : fallback;
}

std::optional<slot_row> find_slot(const std::vector<slot_row>& slots, const std::string& name) {
  for (const auto& s : slots)
    if (s.name == name)
      return s;
  return std::nullopt;
}

TEST(slots_pgtest, every_slot_statement_on_this_major) {
  const int major = testing::pg_install::current().major;
  testing::cluster c(testing::cluster_options{.replicas = 1});
  auto& primary = c.primary();
  auto& replica = c.replica(0);
  primary.exec("CREATE TABLE t (id int)", "app");

  run_io([&](asio::io_context& io) -> asio::awaitable<void> {
    connection p(io.get_executor(), options_for(primary));
    auto connected = co_await p.connect(soon());
    EXPECT_TRUE(connected);
    if (!connected)
      co_return;
    const int version = p.server_version();
    EXPECT_EQ(major_of(version), major);

    // Create: 1 row when created, none when the slot already exists.
    params phys{"phys_a"};
    params logical{"cdc", "test_decoding"};
    EXPECT_TRUE(parse_created(co_await run(p, create_physical_slot_sql(), phys)));
    EXPECT_FALSE(parse_created(co_await run(p, create_physical_slot_sql(), phys)));
    EXPECT_TRUE(parse_created(co_await run(p, create_logical_slot_sql(), logical)));
    EXPECT_FALSE(parse_created(co_await run(p, create_logical_slot_sql(), logical)));
    if (major >= 17) {
      params failover{"fo", "test_decoding", "true"};
      EXPECT_TRUE(parse_created(co_await run(p, create_logical_slot_failover_sql(), failover)));
    }
    primary.exec("INSERT INTO t VALUES (1)", "app");
    primary.exec("SELECT count(*) FROM pg_logical_slot_get_changes('cdc', NULL, NULL)", "app");
    primary.exec("CHECKPOINT");

    // Listing: the columns of this major.
    auto listed = parse_slots(co_await run(p, list_slots_sql(version)), version);
    EXPECT_TRUE(listed);
    auto slots = listed ? *listed : std::vector<slot_row>{};
    auto cdc = find_slot(slots, "cdc");
    auto phys_a = find_slot(slots, "phys_a");
    auto node2 = find_slot(slots, replica.slot_name());
    EXPECT_TRUE(cdc && phys_a && node2);
    if (!cdc || !phys_a || !node2)
      co_return;
    EXPECT_TRUE(cdc->is_logical());
    EXPECT_EQ(cdc->plugin, "test_decoding");
    EXPECT_EQ(cdc->database, "app");
    EXPECT_TRUE(cdc->datoid && cdc->catalog_xmin && cdc->restart_lsn && cdc->confirmed_flush_lsn);
    EXPECT_FALSE(phys_a->is_logical());
    EXPECT_TRUE(phys_a->restart_lsn); // reserved at creation
    EXPECT_TRUE(node2->active);
    for (const auto* s : {&*cdc, &*phys_a, &*node2}) {
      EXPECT_EQ(s->wal_status.has_value(), major >= 13) << s->name;
      if (major >= 13) {
        EXPECT_EQ(s->wal_status, "reserved") << s->name;
      }
      EXPECT_EQ(s->failover.has_value(), major >= 17) << s->name;
      EXPECT_EQ(s->synced.has_value(), major >= 17) << s->name;
    }
    if (major >= 17) {
      auto fo = find_slot(slots, "fo");
      EXPECT_TRUE(fo && fo->failover == true && fo->synced == false); // not synced: listed
      EXPECT_EQ(cdc->failover, false);
    }

    // Leader queries.
    params names{text_array({"cdc", "phys_a", "fo", "missing"})};
    auto copied = parse_copy_rows(co_await run(p, copy_slots_sql(version), names));
    EXPECT_TRUE(copied);
    if (!copied || copied->size() != 1) { // only cdc: logical, and on 17+ not a failover slot
      ADD_FAILURE() << "expected one copy row, got " << (copied ? copied->size() : 0u);
      co_return;
    }
    auto row = (*copied)[0];
    EXPECT_EQ(row.name, "cdc");
    EXPECT_EQ(row.database, "app");
    EXPECT_EQ(row.confirmed_flush_lsn, cdc->confirmed_flush_lsn);
    slotfile::expected_slot want{"cdc", true, static_cast<std::uint32_t>(*cdc->datoid), row.plugin};
    auto valid = slotfile::validate_slot_state(row.state, want);
    EXPECT_TRUE(valid) << (valid ? "" : valid.error().what());
    if (!valid)
      co_return;
    EXPECT_EQ(valid->confirmed_flush, row.confirmed_flush_lsn);
    // One file by its path: the state file again; a file that is not there
    // is SQLSTATE 58P01 (a copy reads the snapshot at restart_lsn this way).
    params state_path{"pg_replslot/cdc/state"};
    auto same = parse_file_bytes(co_await run(p, read_file_sql(), state_path));
    EXPECT_TRUE(same && *same == row.state);
    params no_file{"pg_logical/snapshots/0-1.snap"};
    auto absent = co_await p.exec(read_file_sql(), no_file, soon());
    EXPECT_TRUE(!absent && is_undefined_file(absent.error())) << (absent ? "read" : absent.error().what());

    // Advance on the primary.
    primary.exec("INSERT INTO t VALUES (2)", "app");
    auto target = *lsn::parse(primary.current_lsn());
    auto advanced = parse_advance(co_await run(p, advance_slot_sql(), advance_params("cdc", target)));
    EXPECT_TRUE(advanced && *advanced && **advanced > *cdc->confirmed_flush_lsn && **advanced <= target);
    // A target behind the slot: a NULL end LSN and no error (never the 55000
    // "minimum is" that only its language-dependent text tells apart).
    auto behind = parse_advance(co_await run(p, advance_slot_sql(), advance_params("cdc", lsn{1})));
    EXPECT_TRUE(behind && !*behind) << (behind ? "advanced" : behind.error().what());
    auto physical_advanced = parse_advance(co_await run(p, advance_slot_sql(), advance_params("phys_a", target)));
    EXPECT_TRUE(physical_advanced && *physical_advanced && **physical_advanced > *phys_a->restart_lsn &&
                **physical_advanced <= target);

    // The copy: install cdc's file into the stopped replica, then advance it there.
    replica.wait_replay(primary.current_lsn());
    replica.stop_fast();
    std::vector<slotfile::state_file> files{{"cdc", row.state}};
    auto installed = slotfile::install_slot_files(replica.data_dir(), files);
    EXPECT_TRUE(installed) << (installed ? "" : installed.error().what());
    replica.start();
    connection r(io.get_executor(), options_for(replica));
    EXPECT_TRUE(co_await r.connect(soon()));
    auto on_replica = parse_slots(co_await run(r, list_slots_sql(version)), version);
    auto copy = on_replica ? find_slot(*on_replica, "cdc") : std::nullopt;
    EXPECT_TRUE(copy && copy->confirmed_flush_lsn == row.confirmed_flush_lsn);
    EXPECT_TRUE(parse_copy_rows(co_await run(r, copy_slots_sql(version), names))->empty());
    auto position = parse_node_position(co_await run(r, node_position_sql(version)));
    EXPECT_TRUE(position && position->in_recovery && position->replay_lsn && !position->current_lsn);

    primary.exec("INSERT INTO t VALUES (3)", "app");
    auto replica_target = *lsn::parse(primary.current_lsn());
    replica.wait_replay(replica_target.str());
    // Streaming now (right after the start the WAL receiver may not be
    // connected yet, and pg_stat_wal_receiver is empty).
    auto state = parse_node_state(co_await run(r, node_state_sql()));
    EXPECT_TRUE(state && state->in_recovery && state->sender_port == primary.port());
    EXPECT_TRUE(state && state->receive_lsn && *state->receive_lsn >= replica_target);
    EXPECT_TRUE(state && state->timeline == 1) << "a fresh cluster's standby streams timeline 1";
    EXPECT_TRUE(state && state->wal_receiver == "streaming");
    auto on_primary = parse_node_state(co_await run(p, node_state_sql()));
    EXPECT_TRUE(on_primary && !on_primary->in_recovery && on_primary->timeline == 1 && !on_primary->receive_lsn);
    EXPECT_TRUE(on_primary && !on_primary->wal_receiver);
    // The leader sample's synchronized_standby_slots: the setting on 17+,
    // NULL before.
    auto leader_position = parse_node_position(co_await run(p, node_position_sql(version)));
    EXPECT_TRUE(leader_position && leader_position->synchronized_standby_slots.has_value() == (major >= 17));
    // The failover slot "fo" (17+) has a confirmed position.
    EXPECT_TRUE(leader_position && leader_position->failover_confirmed.has_value() == (major >= 17));
    auto standby_advance = parse_advance(co_await run(r, advance_slot_sql(), advance_params("cdc", replica_target)));
    EXPECT_TRUE(standby_advance && *standby_advance && **standby_advance > *row.confirmed_flush_lsn)
        << "advance of a copied logical slot on a standby";

    // Safe drop: a missing slot, an inactive one, an active one (kept).
    params gone{"missing"};
    auto missing = parse_drop(co_await run(p, drop_slot_sql(), gone));
    EXPECT_TRUE(missing && !missing->existed);
    auto dropped = parse_drop(co_await run(p, drop_slot_sql(), phys));
    EXPECT_TRUE(dropped && dropped->existed && dropped->dropped && !dropped->active);
    params active_slot{replica.slot_name()};
    auto kept = parse_drop(co_await run(p, drop_slot_sql(), active_slot));
    EXPECT_TRUE(kept && kept->existed && kept->active && !kept->dropped);
  });
}


// read_snapshot_at (docs/slot-rules.md Q10): the leader's serialized decoding
// snapshot at a state file's restart_lsn, none for a slot that never moved,
// and "unusable" when the slot moved on and a checkpoint removed the file
// between the two reads of a copy.
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

TEST(slots_pgtest, decoding_snapshot_none_or_unusable) {
  testing::cluster c(testing::cluster_options{.replicas = 0});
  auto& p = c.primary();
  p.exec("CREATE TABLE t (id int)", "app");
  p.exec("SELECT pg_create_logical_replication_slot('cdc', 'test_decoding')", "app");
  const lsn created = restart_of(p, "cdc");
  ASSERT_FALSE(has_file(p, created));
  const lsn first = move_on(p, created);
  ASSERT_NE(first, created);
  ASSERT_TRUE(has_file(p, first));

  const auto o = options_for(p);
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

// Slot details (pg/queries/slot_details.hpp): the walsender that uses a
// replica's physical slot, with its application_name and address; nothing
// for an unused slot; safe_wal_size (13+) and inactive_since (17+).
TEST(slots_pgtest, slot_details_show_the_consumer_of_an_active_slot) {
  const int major = testing::pg_install::current().major;
  testing::cluster c(testing::cluster_options{.replicas = 1});
  auto& primary = c.primary();
  auto& replica = c.replica(0);
  const auto before = model::sample_clock::now() - 1s;
  primary.exec("SELECT pg_create_logical_replication_slot('idle', 'test_decoding')", "app");
  if (major >= 13) {
    primary.exec("ALTER SYSTEM SET max_slot_wal_keep_size = '1GB'");
    primary.exec("SELECT pg_reload_conf()");
    // New backends see the reloaded value once the postmaster has read it.
    ASSERT_TRUE(eventually([&] { return primary.scalar("SHOW max_slot_wal_keep_size") == "1GB"; }, 10s));
  }
  // The replica's walreceiver streams through its slot.
  ASSERT_TRUE(eventually(
      [&] {
        return primary.scalar("SELECT count(*) FROM pg_stat_replication WHERE application_name = '" + replica.name() +
                              "'") == "1";
      },
      30s));

  run_io([&](asio::io_context& io) -> asio::awaitable<void> {
    connection p(io.get_executor(), options_for(primary));
    auto connected = co_await p.connect(soon());
    EXPECT_TRUE(connected);
    if (!connected)
      co_return;
    auto parsed = parse_slot_details(co_await run(p, slot_details_sql(p.server_version())));
    EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().what());
    if (!parsed)
      co_return;
    auto& d = *parsed;
    EXPECT_TRUE(d.contains(replica.slot_name()) && d.contains("idle"));
    if (!d.contains(replica.slot_name()) || !d.contains("idle"))
      co_return;
    auto& phys = d.at(replica.slot_name());
    EXPECT_TRUE(phys.active_pid);
    EXPECT_TRUE(phys.consumer);
    if (phys.consumer) {
      EXPECT_EQ(phys.consumer->backend_type, "walsender");
      EXPECT_EQ(phys.consumer->application_name, replica.name());
      EXPECT_EQ(phys.consumer->client_addr, "127.0.0.1");
      EXPECT_TRUE(phys.consumer->backend_start && *phys.consumer->backend_start < model::sample_clock::now());
    }
    auto& idle = d.at("idle");
    EXPECT_FALSE(idle.active_pid);
    EXPECT_FALSE(idle.consumer);
    EXPECT_EQ(idle.safe_wal_size.has_value(), major >= 13) << "1GB of max_slot_wal_keep_size left";
    if (major >= 13 && idle.safe_wal_size) {
      EXPECT_GT(*idle.safe_wal_size, 0);
      EXPECT_LE(*idle.safe_wal_size, (std::int64_t{1} << 30) + (16 << 20)) << "the limit plus at most one segment";
    }
    EXPECT_EQ(idle.inactive_since.has_value(), major >= 17);
    if (idle.inactive_since) {
      EXPECT_GT(*idle.inactive_since, before);
    }
    EXPECT_FALSE(phys.inactive_since) << "an active slot is not inactive";
  });
}

// read_node (pg/queries/read.hpp) sends extra parameter-free statements in
// the same round trip as the node's state and slots: their rows come back
// in order. An extra that fails does not cost the state and the slots: they
// come back with the extras' error apart, and no extra rows.
TEST(slots_pgtest, read_node_sends_extra_statements_with_the_state_and_a_failing_one_costs_nothing_else) {
  testing::cluster c(testing::cluster_options{.replicas = 0});
  auto& primary = c.primary();
  primary.exec("SELECT pg_create_logical_replication_slot('extra_test', 'test_decoding')", "app");
  run_io([&](asio::io_context& io) -> asio::awaitable<void> {
    connection p(io.get_executor(), options_for(primary));
    auto connected = co_await p.connect(soon());
    EXPECT_TRUE(connected);
    if (!connected)
      co_return;
    std::vector<std::string> extra;
    extra.push_back(slot_details_sql(p.server_version()));
    extra.push_back("SELECT 7");
    auto both = co_await read_node(p, node_state_sql(), soon(), &parse_node_state, extra);
    EXPECT_TRUE(both) << (both ? "" : both.error().what());
    if (!both)
      co_return;
    EXPECT_FALSE(both->state.in_recovery);
    EXPECT_TRUE(both->slots.contains("extra_test"));
    EXPECT_FALSE(both->extra_error) << both->extra_error->what();
    EXPECT_EQ(both->extra.size(), 2u);
    if (both->extra.size() == 2) {
      auto details = parse_slot_details(both->extra[0]);
      EXPECT_TRUE(details && details->contains("extra_test"));
      EXPECT_EQ(both->extra[1].get<std::int64_t>(0, 0), 7);
    }

    std::vector<std::string> failing;
    failing.push_back("SELECT * FROM no_such_table");
    auto without = co_await read_node(p, node_state_sql(), soon(), &parse_node_state, failing);
    EXPECT_TRUE(without) << (without ? "" : without.error().what());
    if (!without)
      co_return;
    EXPECT_TRUE(without->slots.contains("extra_test"));
    EXPECT_TRUE(without->extra.empty());
    EXPECT_TRUE(without->extra_error);
    if (without->extra_error) {
      EXPECT_EQ(without->extra_error->sqlstate, "42P01");
    }

    // A failure of the node's own statement is the result's error, as before.
    auto bad = co_await read_node(p, std::string("SELECT * FROM no_such_table"), soon(), &parse_node_state, extra);
    EXPECT_FALSE(bad);
  });
}

} // namespace
} // namespace slotd::pg::queries
