// members, slots and ignore_slots as read from slotd.yaml.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/load.hpp"
#include "tests/config/test_util.hpp"

namespace slotd::config {
namespace {

using model::slot_type;
using test::printed;
using ::testing::ElementsAre;

parse_result<config> parse_with(std::string_view lines) {
  return parse("name: node1\n" + std::string(lines), "t.yaml");
}

std::vector<std::string> problems(std::string_view lines) { return printed(parse_with(lines)); }

model::permanent_slot slot_of(std::string_view yaml_value) {
  auto r = parse_with("slots:\n  s: " + std::string(yaml_value) + "\n");
  EXPECT_TRUE(r.ok()) << yaml_value << ": " << ::testing::PrintToString(printed(r));
  return r.ok() ? r.value->cluster.slots.at("s") : model::permanent_slot{};
}

TEST(slots, are_classified_as_in_patroni) {
  using P = model::permanent_slot;
  EXPECT_EQ(slot_of("{type: logical, database: app, plugin: pgoutput}"),
            (P{"s", slot_type::logical, "app", "pgoutput", false}));
  EXPECT_EQ(slot_of("{database: app, plugin: pgoutput}"), (P{"s", slot_type::logical, "app", "pgoutput", false}));
  EXPECT_EQ(slot_of("{type: physical}"), (P{"s", slot_type::physical, "", "", false}));
  EXPECT_EQ(slot_of(""), (P{"s", slot_type::physical, "", "", false}));
  EXPECT_EQ(slot_of("~"), (P{"s", slot_type::physical, "", "", false}));
  EXPECT_EQ(slot_of("{}"), (P{"s", slot_type::physical, "", "", false}));
  EXPECT_EQ(slot_of("{type: logical, database: app, plugin: pgoutput, failover: true}"),
            (P{"s", slot_type::logical, "app", "pgoutput", true}));
  EXPECT_EQ(slot_of("{type: physical, failover: false}"), (P{"s", slot_type::physical, "", "", false}));
}

TEST(slots, names_postgresql_would_cut_or_that_are_paths_are_rejected) {
  const std::string long_db(64, 'd');
  EXPECT_THAT(problems("slots:\n  s: {database: " + long_db + ", plugin: pgoutput}\n"),
              ElementsAre("t.yaml:3:17: slots.s.database: database name '" + long_db.substr(0, 63) +
                          "...' is longer than 63 bytes"));
  EXPECT_EQ(slot_of("{database: " + long_db.substr(0, 63) + ", plugin: pgoutput}").database, long_db.substr(0, 63));
  EXPECT_THAT(problems("slots:\n  s: {database: \"a\\tb\", plugin: pgoutput}\n"),
              ElementsAre("t.yaml:3:17: slots.s.database: database name has a control character"));
  EXPECT_THAT(problems("slots:\n  s: {database: app, plugin: ../../tmp/evil}\n"),
              ElementsAre("t.yaml:3:30: slots.s.plugin: plugin '../../tmp/evil' is not a plugin name (letters, "
                          "digits, '_' and '-'; e.g. pgoutput)"));
  EXPECT_EQ(slot_of("{database: My App, plugin: wal2json}").database, "My App");
  EXPECT_EQ(slot_of("{database: app, plugin: decoderbufs-2}").plugin, "decoderbufs-2");
}

TEST(slots, reject_values_that_are_neither_logical_nor_physical) {
  EXPECT_THAT(problems("slots:\n  s: {type: logical}\n"),
              ElementsAre("t.yaml:3:3: slots.s: a logical slot needs database and plugin"));
  EXPECT_THAT(problems("slots:\n  s: {type: logical, database: app}\n"),
              ElementsAre("t.yaml:3:3: slots.s: a logical slot needs a plugin"));
  EXPECT_THAT(problems("slots:\n  s: {type: logical, plugin: pgoutput, database: ''}\n"),
              ElementsAre("t.yaml:3:3: slots.s: a logical slot needs a database"));
  EXPECT_THAT(problems("slots:\n  s: {plugin: pgoutput}\n"),
              ElementsAre("t.yaml:3:3: slots.s: plugin without database (a logical slot needs both; a physical "
                          "slot neither)"));
  EXPECT_THAT(problems("slots:\n  s: {database: app}\n"),
              ElementsAre("t.yaml:3:3: slots.s: database without plugin (a logical slot needs both; a physical "
                          "slot neither)"));
  EXPECT_THAT(problems("slots:\n  s: {type: physical, database: app}\n"),
              ElementsAre("t.yaml:3:3: slots.s: database and plugin apply only to logical slots"));
  EXPECT_THAT(problems("slots:\n  s: {type: physical, failover: true}\n"),
              ElementsAre("t.yaml:3:3: slots.s: failover applies only to logical slots"));
  EXPECT_THAT(problems("slots:\n  s: {failover: true}\n"),
              ElementsAre("t.yaml:3:3: slots.s: failover applies only to logical slots"));
  EXPECT_THAT(problems("slots:\n  s: {type: snapshot}\n"),
              ElementsAre("t.yaml:3:13: slots.s.type: 'snapshot' is not one of physical or logical"));
  EXPECT_THAT(problems("slots:\n  s: physical\n"),
              ElementsAre("t.yaml:3:6: slots.s must be a map ({type: physical}, {type: logical, database: ..., "
                          "plugin: ...}) or empty for a physical slot, not 'physical'"));
  EXPECT_THAT(problems("slots: [a, b]\n"), ElementsAre("t.yaml:2:8: slots must be a map, not a list"));
}

TEST(slots, read_retention_levels_in_postgresql_units) {
  auto s = slot_of("{type: logical, database: app, plugin: pgoutput, retention: {warn: 512MB, limit: 10GB}}");
  EXPECT_EQ(s.retention.warn, 512ull << 20);
  EXPECT_EQ(s.retention.limit, 10ull << 30);
  EXPECT_EQ(slot_of("{retention: {limit: 1TB}}").retention, (model::retention_policy{std::nullopt, 1ull << 40}));
  EXPECT_EQ(slot_of("{type: physical}").retention, model::retention_policy{}) << "no levels unless configured";
}

TEST(slots, reject_bad_retention_levels) {
  EXPECT_THAT(problems("slots:\n  s: {retention: {warn: 10}}\n"),
              ElementsAre("t.yaml:3:25: slots.s.retention.warn: '10' has no unit (a whole number and kB, MB, GB or "
                          "TB, e.g. 10GB)"));
  EXPECT_THAT(problems("slots:\n  s: {retention: {limit: 5Gb}}\n"),
              ElementsAre("t.yaml:3:26: slots.s.retention.limit: '5Gb' has an unknown unit 'Gb' (a whole number "
                          "and kB, MB, GB or TB, e.g. 10GB)"));
  EXPECT_THAT(problems("slots:\n  s: {retention: {warn: 0MB}}\n"),
              ElementsAre("t.yaml:3:25: slots.s.retention.warn: '0MB' is zero (a whole number and kB, MB, GB or TB, "
                          "e.g. 10GB)"));
  EXPECT_THAT(problems("slots:\n  s: {retention: {warn: 2GB, limit: 1GB}}\n"),
              ElementsAre("t.yaml:3:18: slots.s.retention: warn must be below limit"));
  EXPECT_THAT(problems("slots:\n  s: {retention: 10GB}\n"),
              ElementsAre("t.yaml:3:18: slots.s.retention must be a map ({warn: 10GB, limit: 50GB}), not '10GB'"));
  EXPECT_THAT(problems("slots:\n  s: {retention: {limit: 1GB, action: drop}}\n"),
              ElementsAre(::testing::HasSubstr("slots.s.retention.action: 'drop' is not one of")));
  EXPECT_THAT(problems("slots:\n  s: {retention: {warn: 1GB, action: drop_inactive}}\n"),
              ElementsAre("t.yaml:3:18: slots.s.retention: action drop_inactive needs a limit (the WAL kept at "
                          "which the slot is dropped)"));
}

TEST(slots, read_the_retention_action) {
  EXPECT_EQ(slot_of("{retention: {limit: 1GB}}").retention.action, model::retention_action::alert);
  EXPECT_EQ(slot_of("{retention: {limit: 1GB, action: alert}}").retention.action, model::retention_action::alert);
  EXPECT_EQ(slot_of("{retention: {limit: 1GB, action: drop_inactive}}").retention.action,
            model::retention_action::drop_inactive);
  EXPECT_EQ(slot_of("{retention: {limit: 1GB}}").retention.inactive_for, std::chrono::minutes(5));
  EXPECT_EQ(slot_of("{retention: {limit: 1GB, action: drop_inactive, inactive_for: 30s}}").retention.inactive_for,
            std::chrono::seconds(30));
  EXPECT_THAT(problems("slots:\n  s: {retention: {limit: 1GB, inactive_for: 30}}\n"),
              ElementsAre(::testing::HasSubstr("slots.s.retention.inactive_for")));
  EXPECT_THAT(problems("slots:\n  s: {retention: {limit: 1GB, inactive_for: 0s}}\n"),
              ElementsAre(::testing::HasSubstr("slots.s.retention.inactive_for")));
}

TEST(slots, need_valid_names) {
  EXPECT_THAT(problems("slots:\n  CDC: {type: physical}\n  cdc-1:\n"),
              ElementsAre("t.yaml:3:3: slots: 'CDC' is not a valid slot name (1 to 63 characters of a-z, 0-9 and _)",
                          "t.yaml:4:3: slots: 'cdc-1' is not a valid slot name (1 to 63 characters of a-z, 0-9 and "
                          "_)"));
  std::string long_name(64, 'a');
  EXPECT_THAT(problems("slots:\n  " + long_name + ":\n"),
              ElementsAre("t.yaml:3:3: slots: '" + long_name +
                          "' is not a valid slot name (1 to 63 characters of a-z, 0-9 and _)"));
  EXPECT_TRUE(parse_with("slots:\n  " + std::string(63, 'a') + ":\n").ok());
}

TEST(slots, a_logical_slot_must_not_take_a_members_slot_name) {
  auto lines = "members:\n"
               "  node1: {host: a}\n"
               "  Node-2: {host: b}\n"
               "slots:\n"
               "  node_2: {type: logical, database: app, plugin: pgoutput}\n"
               "  node1: {type: physical}\n";
  EXPECT_THAT(problems(lines),
              ElementsAre("t.yaml:6:3: logical slot 'node_2' has the name of the physical slot of member 'Node-2'"));
}

TEST(members, are_read_with_tags_and_defaults) {
  auto r = parse_with("members:\n"
                      "  node1: {host: 10.0.0.1}\n"
                      "  node2:\n"
                      "    host: db2.example\n"
                      "    port: \"6432\"\n"
                      "    xlog_location: 0/3000060\n"
                      "    tags: {replicatefrom: node1, nofailover: true, nostream: false}\n"
                      "  node3: {host: h, xlog_location: 50331744, tags: {nostream: yes}}\n");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(printed(r));
  const auto& m = r.value->cluster.members;
  EXPECT_EQ(m.at("node1"), (model::member{"node1", "10.0.0.1", 5432, {}, std::nullopt}));
  EXPECT_EQ(m.at("node2"), (model::member{"node2", "db2.example", 6432, {"node1", true, false}, pg::lsn(0x3000060)}));
  EXPECT_EQ(m.at("node3"), (model::member{"node3", "h", 5432, {std::nullopt, false, true}, pg::lsn(50331744)}));
}

TEST(members, reject_bad_entries) {
  EXPECT_THAT(problems("members:\n  node1: {port: 5432}\n"), ElementsAre("t.yaml:3:3: members.node1: host is missing"));
  EXPECT_THAT(problems("members:\n  node1:\n"), ElementsAre("t.yaml:3:3: members.node1: host is missing"));
  EXPECT_THAT(problems("members:\n  node1: {host: ''}\n"),
              ElementsAre("t.yaml:3:17: members.node1.host must not be empty"));
  EXPECT_THAT(problems("members:\n  node1: {host: h, port: 0}\n"),
              ElementsAre("t.yaml:3:26: members.node1.port: '0' is not a port number (1 to 65535)"));
  EXPECT_THAT(problems("members:\n  node1: {host: h, port: 65536}\n"),
              ElementsAre("t.yaml:3:26: members.node1.port: '65536' is not a port number (1 to 65535)"));
  EXPECT_THAT(problems("members:\n  node1: {host: h, port: x}\n"),
              ElementsAre("t.yaml:3:26: members.node1.port: 'x' is not a port number (1 to 65535)"));
  EXPECT_THAT(problems("members:\n  node1: {host: h, xlog_location: 0/XYZ}\n"),
              ElementsAre("t.yaml:3:35: members.node1.xlog_location: '0/XYZ' is not a WAL position (e.g. "
                          "0/3000060)"));
  EXPECT_THAT(problems("members:\n  node1: {host: h, tags: {nofailover: 1}}\n"),
              ElementsAre("t.yaml:3:39: members.node1.tags.nofailover: '1' is not a boolean (use true or false, "
                          "without quotes)"));
  EXPECT_THAT(problems("members:\n  node1: h\n"), ElementsAre("t.yaml:3:10: members.node1 must be a map, not 'h'"));
  EXPECT_THAT(problems("members: [node1]\n"), ElementsAre("t.yaml:2:10: members must be a map, not a list"));
}

TEST(members, sharing_a_slot_name_is_an_error) {
  EXPECT_THAT(problems("members:\n  node1: {host: a}\n  db-1: {host: b}\n  db.1: {host: c}\n"),
              ElementsAre("t.yaml:5:3: members 'db-1' and 'db.1' share the replication slot name 'db_1'"));
  // A member that does not stream has no slot to share.
  EXPECT_TRUE(parse_with("members:\n  node1: {host: a}\n  db-1: {host: b}\n  db.1: {host: c, tags: {nostream: true}}\n")
                  .ok());
}

TEST(members, replicating_from_an_unknown_member_is_only_a_warning) {
  auto r = parse_with("members:\n"
                      "  node1: {host: a}\n"
                      "  node2: {host: b, tags: {replicatefrom: node9}}\n"
                      "  node3: {host: c, tags: {replicatefrom: node3}}\n");
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(printed(r),
              ElementsAre("t.yaml:4:3: warning: member 'node2' replicates from 'node9', which is not a member (taken "
                          "as streaming from the primary)",
                          "t.yaml:5:3: warning: member 'node3' replicates from itself (taken as streaming from the "
                          "primary)"));
  EXPECT_EQ(r.value->cluster.members.at("node2").tags.replicatefrom, "node9");
}

TEST(ignore_slots, are_read_as_matchers) {
  auto r = parse_with("ignore_slots:\n"
                      "  - {name: adhoc}\n"
                      "  - type: logical\n"
                      "    plugin: wal2json\n"
                      "  - {database: app, type: physical, name: ~}\n");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(printed(r));
  using M = model::ignore_matcher;
  EXPECT_THAT(r.value->cluster.ignore_slots,
              ElementsAre(M{"adhoc", std::nullopt, std::nullopt, std::nullopt},
                          M{std::nullopt, "logical", std::nullopt, "wal2json"},
                          M{std::nullopt, "physical", "app", std::nullopt}));
}

TEST(ignore_slots, reject_bad_entries_and_warn_about_a_catch_all) {
  EXPECT_THAT(problems("ignore_slots: {name: adhoc}\n"),
              ElementsAre("t.yaml:2:15: ignore_slots must be a list of maps such as - {name: adhoc}, not a map"));
  EXPECT_THAT(problems("ignore_slots: [adhoc]\n"),
              ElementsAre("t.yaml:2:16: ignore_slots[0] must be a map such as {name: adhoc}, not 'adhoc'"));
  EXPECT_THAT(problems("ignore_slots:\n  - {name: a}\n  - {type: temporary}\n"),
              ElementsAre("t.yaml:4:12: ignore_slots[1].type: 'temporary' is not one of physical or logical"));
  auto catch_all = parse_with("ignore_slots: [{}]\n");
  EXPECT_TRUE(catch_all.ok());
  EXPECT_THAT(printed(catch_all),
              ElementsAre("t.yaml:2:16: warning: ignore_slots[0]: an empty matcher matches every slot: slotd will "
                          "drop no slot"));
}

} // namespace
} // namespace slotd::config
