#include "pg/queries/slots.hpp"

#include <gtest/gtest.h>

#include "tests/pg/fake_rows.hpp"

namespace slotd::pg::queries {
namespace {

using testing::fake_rows;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(slot_queries, listing_columns_follow_the_version_gates) {
  auto v12 = list_slots_sql(120022);
  EXPECT_TRUE(contains(v12, "WHERE NOT temporary"));
  EXPECT_FALSE(contains(v12, "wal_status"));
  EXPECT_FALSE(contains(v12, "failover"));
  auto v13 = list_slots_sql(130018);
  EXPECT_TRUE(contains(v13, "wal_status"));
  EXPECT_FALSE(contains(v13, "failover"));
  auto v16 = list_slots_sql(160004);
  EXPECT_TRUE(contains(v16, "wal_status"));
  EXPECT_FALSE(contains(v16, "synced"));
  for (int v : {170000, 180001}) {
    auto sql = list_slots_sql(v);
    EXPECT_TRUE(contains(sql, ", failover, synced FROM"));
    EXPECT_TRUE(contains(sql, "AND (NOT failover OR NOT synced)"));
  }
}

TEST(slot_queries, every_statement_is_parameterised) {
  for (const auto& sql : {create_physical_slot_sql(), create_logical_slot_sql(), create_logical_slot_failover_sql(),
                          drop_slot_sql(), advance_slot_sql(), read_file_sql(), copy_slots_sql(150000)}) {
    EXPECT_TRUE(contains(sql, "$1")) << sql;
    EXPECT_FALSE(contains(sql, "'%s'")) << sql;
  }
  EXPECT_TRUE(contains(create_physical_slot_sql(), "pg_create_physical_replication_slot($1, true) WHERE NOT EXISTS"));
  EXPECT_TRUE(contains(create_logical_slot_sql(), "pg_create_logical_replication_slot($1, $2) WHERE NOT EXISTS"));
  EXPECT_TRUE(contains(create_logical_slot_failover_sql(), "$3::boolean"));
  EXPECT_TRUE(contains(drop_slot_sql(), "WHERE NOT active"));
  EXPECT_TRUE(contains(advance_slot_sql(), "THEN (pg_catalog.pg_replication_slot_advance(w.slot_name, $2::pg_lsn))"));
  EXPECT_TRUE(contains(advance_slot_sql(), "< $2::pg_lsn, true)")) << "only a slot behind its target is advanced";
}

TEST(slot_queries, copy_query_excludes_failover_slots_from_17) {
  EXPECT_FALSE(contains(copy_slots_sql(160000), "failover"));
  EXPECT_TRUE(contains(copy_slots_sql(170002), "NOT failover AND"));
  EXPECT_TRUE(contains(copy_slots_sql(150000), "pg_read_binary_file('pg_replslot/' || slot_name || '/state')"));
}

TEST(slot_queries, advance_parameters_use_postgres_lsn_text) {
  auto p = advance_params("cdc", lsn{0x16B374D848ull});
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0], "cdc");
  EXPECT_EQ(p[1], "16/B374D848");
  EXPECT_EQ(advance_params("s", lsn{0})[1], "0/0");
  EXPECT_EQ(advance_params("s", lsn{0xFFFFFFFFFFFFFFFFull})[1], "FFFFFFFF/FFFFFFFF");
}

TEST(slot_queries, text_array_escapes_quotes_and_backslashes) {
  EXPECT_EQ(text_array({}), "{}");
  EXPECT_EQ(text_array({"a", "b_c"}), "{\"a\",\"b_c\"}");
  EXPECT_EQ(text_array({"x\"y", "p\\q", "a,b"}), "{\"x\\\"y\",\"p\\\\q\",\"a,b\"}");
}

TEST(slot_queries, parse_listing_per_version) {
  auto r15 = fake_rows({"slot_name", "slot_type", "plugin", "database", "datoid", "active", "xmin", "catalog_xmin",
                        "restart_lsn", "confirmed_flush_lsn", "wal_status"},
                       {{"cdc", "logical", "pgoutput", "app", "16384", "f", std::nullopt, "745", "0/1A2B3C",
                         "0/1A2B40", "reserved"},
                        {"node2", "physical", std::nullopt, std::nullopt, std::nullopt, "t", "750", std::nullopt,
                         "0/3000000", std::nullopt, "reserved"}});
  auto slots = parse_slots(r15, 150004);
  ASSERT_TRUE(slots) << slots.error().what();
  ASSERT_EQ(slots->size(), 2u);
  const auto& cdc = (*slots)[0];
  EXPECT_TRUE(cdc.is_logical());
  EXPECT_EQ(cdc.plugin, "pgoutput");
  EXPECT_EQ(cdc.database, "app");
  EXPECT_EQ(cdc.datoid, 16384);
  EXPECT_FALSE(cdc.active);
  EXPECT_FALSE(cdc.xmin);
  EXPECT_EQ(cdc.catalog_xmin->value(), 745u);
  EXPECT_EQ(cdc.restart_lsn->str(), "0/1A2B3C");
  EXPECT_EQ(cdc.confirmed_flush_lsn->str(), "0/1A2B40");
  EXPECT_EQ(cdc.wal_status, "reserved");
  EXPECT_FALSE(cdc.failover);
  const auto& node2 = (*slots)[1];
  EXPECT_FALSE(node2.is_logical());
  EXPECT_TRUE(node2.active);
  EXPECT_EQ(node2.xmin->value(), 750u);
  EXPECT_FALSE(node2.database);

  auto r17 = fake_rows({"slot_name", "slot_type", "plugin", "database", "datoid", "active", "xmin", "catalog_xmin",
                        "restart_lsn", "confirmed_flush_lsn", "wal_status", "failover", "synced"},
                       {{"cdc", "logical", "pgoutput", "app", "16384", "f", std::nullopt, "745", "0/1", "0/2",
                         "lost", "t", "f"}});
  auto s17 = parse_slots(r17, 170000);
  ASSERT_TRUE(s17);
  EXPECT_EQ((*s17)[0].failover, true);
  EXPECT_EQ((*s17)[0].synced, false);
  EXPECT_EQ((*s17)[0].wal_status, "lost");

  auto r12 = fake_rows({"slot_name", "slot_type", "plugin", "database", "datoid", "active", "xmin", "catalog_xmin",
                        "restart_lsn", "confirmed_flush_lsn"},
                       {{"p", "physical", std::nullopt, std::nullopt, std::nullopt, "f", std::nullopt,
                         std::nullopt, std::nullopt, std::nullopt}});
  auto s12 = parse_slots(r12, 120000);
  ASSERT_TRUE(s12);
  EXPECT_FALSE((*s12)[0].wal_status);
  EXPECT_FALSE((*s12)[0].restart_lsn); // created without reservation
}

TEST(slot_queries, malformed_listing_is_an_error_value) {
  auto bad = fake_rows({"slot_name", "slot_type", "plugin", "database", "datoid", "active", "xmin", "catalog_xmin",
                        "restart_lsn", "confirmed_flush_lsn"},
                       {{"p", "physical", std::nullopt, std::nullopt, std::nullopt, "f", "x1", std::nullopt,
                         std::nullopt, std::nullopt}});
  auto s = parse_slots(bad, 120000);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().call, "parse");
}

TEST(slot_queries, parse_drop_outcomes) {
  auto none = parse_drop(fake_rows({"active", "coalesce"}, {}));
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->existed);
  auto active = parse_drop(fake_rows({"active", "coalesce"}, {{"t", "f"}}));
  EXPECT_TRUE(active->existed && active->active && !active->dropped);
  auto dropped = parse_drop(fake_rows({"active", "coalesce"}, {{"f", "t"}}));
  EXPECT_TRUE(dropped->existed && !dropped->active && dropped->dropped);
}

TEST(slot_queries, parse_node_position_and_scalars) {
  auto primary = parse_node_position(fake_rows({"r", "c", "rp", "rc"}, {{"f", "0/3000060", std::nullopt, std::nullopt}}));
  ASSERT_TRUE(primary);
  EXPECT_FALSE(primary->in_recovery);
  EXPECT_EQ(primary->position()->str(), "0/3000060");
  auto standby = parse_node_position(fake_rows({"r", "c", "rp", "rc"}, {{"t", std::nullopt, "0/5", "0/6"}}));
  EXPECT_EQ(standby->position()->str(), "0/5");
  EXPECT_EQ(*parse_file_bytes(fake_rows({"f"}, {{"\\x51a1"}})), std::string("\x51\xa1", 2));
  EXPECT_FALSE(parse_file_bytes(fake_rows({"f"}, {})));
  auto adv = parse_advance(fake_rows({"end_lsn"}, {{"0/30000D8"}}));
  ASSERT_TRUE(adv);
  EXPECT_EQ((*adv)->str(), "0/30000D8");
}

TEST(slot_queries, parse_leader_rows) {
  auto c = parse_copy_rows(fake_rows({"slot_name", "slot_type", "datname", "plugin", "catalog_xmin", "cfl", "state"},
                                     {{"cdc", "logical", "app", "pgoutput", "745", "0/1A", "\\xa11c0501"}}));
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)[0].state, std::string("\xa1\x1c\x05\x01", 4));
  EXPECT_EQ((*c)[0].database, "app");
  EXPECT_EQ((*c)[0].confirmed_flush_lsn->str(), "0/1A");
}

} // namespace
} // namespace slotd::pg::queries
