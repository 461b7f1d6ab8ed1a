#include "pg/queries/failover.hpp"

#include <gtest/gtest.h>

#include "tests/pg/fake_rows.hpp"

namespace slotd::pg::queries {
namespace {

using testing::fake_rows;

TEST(failover_queries, synchronized_standby_slots_literal_only_from_valid_names) {
  EXPECT_EQ(set_synchronized_standby_slots_sql({"node2", "node_3"}).value(),
            "ALTER SYSTEM SET synchronized_standby_slots = 'node2,node_3'");
  EXPECT_EQ(set_synchronized_standby_slots_sql({}).value(), "ALTER SYSTEM RESET synchronized_standby_slots");
  auto bad = set_synchronized_standby_slots_sql({"node2", "x'; DROP TABLE t; --"});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("not a valid slot name"), std::string::npos);
  EXPECT_FALSE(set_synchronized_standby_slots_sql({"Node2"}));
}

TEST(failover_queries, settings_take_the_dbname_out_of_primary_conninfo) {
  auto s = parse_failover_settings(fake_rows(
      {"a", "b", "c", "d"},
      {{"t", "node2", "host=10.0.0.1 port=5432 user=rep dbname=postgres application_name=node2", "node2,node3"}}));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->sync_replication_slots, true);
  EXPECT_EQ(s->primary_slot_name, "node2");
  EXPECT_EQ(s->primary_conninfo_dbname, "postgres");
  EXPECT_EQ(s->synchronized_standby_slots, "node2,node3");
  auto none = parse_failover_settings(fake_rows({"a", "b", "c", "d"}, {{"off", "", "host=x", ""}}));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->sync_replication_slots, false);
  EXPECT_EQ(none->primary_conninfo_dbname, "");
}

TEST(failover_queries, failover_slots_rows) {
  auto r = parse_failover_slots(fake_rows({"a", "b", "c", "d"}, {{"cdc", "t", "f", std::nullopt},
                                                                  {"old", "t", "f", "wal_removed"}}));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0], (model::failover_slot_state{"cdc", true, false, std::nullopt}));
  EXPECT_EQ((*r)[1].invalidation_reason, "wal_removed");
}

TEST(failover_queries, standby_senders_by_slot) {
  auto r = parse_standby_senders(fake_rows({"slot", "state"}, {{"node2", "streaming"}, {"node3", "catchup"}}));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::map<std::string, std::string>{{"node2", "streaming"}, {"node3", "catchup"}}));
  EXPECT_TRUE(parse_standby_senders(fake_rows({"slot", "state"}, {}))->empty());
  auto hidden = parse_standby_senders(fake_rows({"slot", "state"}, {{"node2", std::nullopt}}));
  ASSERT_FALSE(hidden);
  EXPECT_NE(hidden.error().what().find("pg_read_all_stats"), std::string::npos);
}

} // namespace
} // namespace slotd::pg::queries
