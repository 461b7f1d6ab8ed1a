// Round trip of a real slot state file on the server of SLOTD_PG_BIN's major:
// the file a primary writes parses to what its pg_replication_slots shows
// (per the layout of this major), and installed into a stopped replica it
// comes back as the same slot, byte for byte.
#include <gtest/gtest.h>

#include "pg/slotfile/install.hpp"
#include "pg/slotfile/slot_state.hpp"
#include "tests/pg/slotfile/slot_fixtures.hpp"
#include "tests/support/pg_harness.hpp"

namespace slotd::pg::slotfile {
namespace {

namespace harness = slotd::testing;

// pg_replication_slots' view of `slot` as text, in the fixtures' column names.
std::map<std::string, std::string> slot_columns(const harness::node& n, const std::string& slot, int major) {
  std::string sql = "SELECT slot_name::text, plugin::text, datoid::text, restart_lsn::text, "
                    "confirmed_flush_lsn::text, catalog_xmin::text";
  std::vector<std::string> names = {"slot_name",           "plugin",      "datoid", "restart_lsn",
                                    "confirmed_flush_lsn", "catalog_xmin"};
  if (major >= 14) {
    sql += ", two_phase::text";
    names.push_back("two_phase");
  }
  if (major >= 17) {
    sql += ", failover::text, synced::text";
    names.push_back("failover");
    names.push_back("synced");
  }
  auto r = n.query(sql + " FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
  std::map<std::string, std::string> out;
  if (r.size() != 1)
    return out;
  for (std::size_t i = 0; i < names.size(); ++i)
    out[names[i]] = r[0][i].value_or("(null)");
  return out;
}

std::string state_file_of(const harness::node& n, const std::string& slot) {
  return testing::from_hex(
      n.scalar("SELECT encode(pg_read_binary_file('pg_replslot/" + slot + "/state'), 'hex')").value_or(""));
}

TEST(slot_state_pgtest, real_file_round_trips_through_a_replica) {
  const int major = harness::pg_install::current().major;
  harness::cluster c(harness::cluster_options{.replicas = 1});
  auto& primary = c.primary();
  auto& replica = c.replica(0);
  // two_phase on 14+, failover on 17+: the flags must land where we read them.
  std::string create = "SELECT pg_create_logical_replication_slot('rt', 'test_decoding'";
  if (major >= 17)
    create += ", false, true, true";
  else if (major >= 14)
    create += ", false, true";
  primary.exec(create + ")", "app");
  primary.exec("CREATE TABLE t (id int)", "app");
  primary.exec("INSERT INTO t VALUES (1)", "app");
  primary.exec("SELECT count(*) FROM pg_logical_slot_get_changes('rt', NULL, NULL)", "app");
  primary.exec("INSERT INTO t VALUES (2)", "app");
  primary.exec("CHECKPOINT"); // state files are rewritten at checkpoints

  auto bytes = state_file_of(primary, "rt");
  auto columns = slot_columns(primary, "rt", major);
  ASSERT_FALSE(columns.empty());
  auto parsed = parse_slot_state(bytes);
  ASSERT_TRUE(parsed) << parsed.error().what();
  std::cout << "[slot file] major " << major << ": " << bytes.size() << " bytes, version " << parsed->version
            << "\n";
  EXPECT_EQ(testing::compare_with_columns(*parsed, columns, major), "");
  auto valid = validate_slot_state(bytes, expected_slot{"rt", true, parsed->database, std::string("test_decoding")});
  ASSERT_TRUE(valid) << valid.error().what();

  replica.wait_replay(primary.current_lsn());
  replica.stop_fast();
  auto installed = install_slot_files(replica.data_dir(), {state_file{"rt", bytes}});
  ASSERT_TRUE(installed) << installed.error().what();
  replica.start();
  EXPECT_EQ(slot_columns(replica, "rt", major), columns);
  EXPECT_EQ(state_file_of(replica, "rt"), bytes);
}

} // namespace
} // namespace slotd::pg::slotfile
