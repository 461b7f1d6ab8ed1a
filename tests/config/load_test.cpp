#include "config/load.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "tests/config/test_util.hpp"

namespace slotd::config {
namespace {

using namespace std::chrono_literals;
using test::printed;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The smallest valid configuration, to which tests add one line.
constexpr std::string_view minimal = "name: node1\n";

parse_result<config> parse_text(std::string_view text) { return parse(text, "t.yaml"); }

TEST(load, reads_every_value_of_the_example_file) {
  auto path = test::source_dir() / "config" / "example.yaml";
  auto r = load(path);
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(printed(r));
  EXPECT_TRUE(r.diagnostics.empty());
  const config& c = *r.value;
  EXPECT_EQ(c.name, "node2");
  EXPECT_EQ(c.scope, "demo");
  EXPECT_EQ(c.loop_wait, 10s);
  EXPECT_EQ(c.postgresql.copy_settle, 2s);
  EXPECT_EQ(c.postgresql.copy_method, model::copy_method_setting::automatic);
  EXPECT_EQ(c.failover_slots.min_standbys, 1);
  EXPECT_EQ(c.role, start_role::automatic);
  EXPECT_EQ(c.postgresql.conninfo, "host=/var/run/postgresql port=5432 user=postgres dbname=postgres");
  EXPECT_EQ(c.postgresql.data_dir, "/var/lib/postgresql/15/main");
  EXPECT_EQ(c.postgresql.bin_dir, "/usr/lib/postgresql/15/bin");
  EXPECT_EQ(c.postgresql.stop_command, "");
  EXPECT_EQ(c.postgresql.start_command, "");
  EXPECT_EQ(c.postgresql.leader_auth, (leader_auth_config{"rewind_user", "/etc/slotd/rewind.pass"}));

  model::cluster_view view;
  view.use_slots = true;
  view.member_slots_ttl = 30min;
  view.members["node1"] = {"node1", "10.0.0.1", 5432, {}, std::nullopt, "http://10.0.0.1:8010"};
  view.members["node2"] = {"node2", "10.0.0.2", 5432, {}, std::nullopt, "http://10.0.0.2:8010"};
  view.members["node3"] = {"node3", "10.0.0.3", 5432, {"node2", true, false}, std::nullopt};
  view.slots["cdc"] = {"cdc", model::slot_type::logical, "app", "pgoutput", false};
  view.slots["archiver"] = {"archiver", model::slot_type::physical, "", "", false};
  view.ignore_slots = {{"adhoc", std::nullopt, std::nullopt, std::nullopt},
                       {std::nullopt, "logical", std::nullopt, "wal2json"}};
  EXPECT_EQ(c.cluster, view);

  EXPECT_EQ(c.api.listen, (listen_address{"127.0.0.1", 8010}));
  EXPECT_EQ(c.api.token_file, "");
  EXPECT_EQ(c.log.level, log_level::info);
  EXPECT_EQ(c.log.format, log_format::text);
}

TEST(load, fills_the_documented_defaults) {
  auto r = parse_text(minimal);
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(printed(r));
  config expected;
  expected.name = "node1";
  EXPECT_EQ(*r.value, expected);
  EXPECT_EQ(expected.loop_wait, 10s);
  EXPECT_EQ(expected.role, start_role::automatic);
  EXPECT_TRUE(expected.cluster.use_slots);
  EXPECT_EQ(expected.cluster.member_slots_ttl, 30min);
  EXPECT_EQ(to_string(expected.api.listen), "127.0.0.1:8010");
  EXPECT_EQ(expected.log.level, log_level::info);
  EXPECT_EQ(expected.log.format, log_format::text);
  EXPECT_EQ(expected.state_dir, "") << "next to the data directory";
}

TEST(load, reads_the_state_dir) {
  auto r = parse_text(std::string(minimal) + "state_dir: /var/lib/slotd/main\n");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(printed(r));
  EXPECT_EQ(r.value->state_dir, "/var/lib/slotd/main");
}

TEST(load, reads_the_other_choices) {
  auto r = parse_text("name: n\nrole: wait\nloop_wait: 500ms\nmember_slots_ttl: 0s\n"
                      "postgresql: {use_slots: false, copy_settle: 0s, copy_method: create}\n"
                      "api: {listen: '[::1]:9000', token_file: /etc/slotd/token}\n"
                      "log: {level: critical, format: json}\n");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(printed(r));
  EXPECT_EQ(r.value->role, start_role::wait);
  EXPECT_EQ(r.value->loop_wait, 500ms);
  EXPECT_EQ(r.value->cluster.member_slots_ttl, 0ms);
  EXPECT_FALSE(r.value->cluster.use_slots);
  EXPECT_EQ(r.value->postgresql.copy_settle, 0ms);
  EXPECT_EQ(r.value->postgresql.copy_method, model::copy_method_setting::create);
  EXPECT_EQ(r.value->api.listen, (listen_address{"::1", 9000}));
  EXPECT_EQ(to_string(r.value->api.listen), "[::1]:9000");
  EXPECT_EQ(r.value->api.token_file, "/etc/slotd/token");
  EXPECT_EQ(r.value->log.level, log_level::critical);
  EXPECT_EQ(r.value->log.format, log_format::json);
}

TEST(load, reports_a_missing_file_without_position) {
  auto r = load("/nonexistent/slotd.yaml");
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(printed(r), ElementsAre("/nonexistent/slotd.yaml: cannot read the configuration file: "
                                      "No such file or directory"));
  auto dir = load(test::source_dir() / "config");
  EXPECT_THAT(printed(dir), ElementsAre((test::source_dir() / "config").string() +
                                        ": cannot read the configuration file: it is a directory"));
}

TEST(load, names_the_file_as_given_in_messages) {
  auto path = std::filesystem::temp_directory_path() / "slotd_load_test.yaml";
  std::ofstream(path) << "name: n\nloop_wait: 10\n";
  auto r = load(path);
  std::filesystem::remove(path);
  EXPECT_THAT(printed(r), ElementsAre(path.string() + ":2:12: loop_wait: '10' has no unit (use ms, s, min or h, "
                                                      "e.g. 10s)"));
}

TEST(load, reports_yaml_syntax_errors_with_their_position) {
  EXPECT_THAT(printed(parse_text("name: n\nslots: {cdc: {type: logical\n")),
              ElementsAre("t.yaml:3:1: end of map flow not found"));
  EXPECT_THAT(printed(parse_text("name: n\n  scope: x\n")), ElementsAre("t.yaml:2:8: illegal map value"));
  EXPECT_THAT(printed(parse_text("name: n\n---\nname: m\n")),
              ElementsAre("t.yaml:3:1: only one YAML document is allowed"));
}

TEST(load, requires_a_map_with_a_name) {
  EXPECT_THAT(printed(parse_text("")),
              ElementsAre("t.yaml:1:1: the configuration is empty (at least 'name' is required)"));
  EXPECT_THAT(printed(parse_text("# nothing\n")),
              ElementsAre("t.yaml:1:1: the configuration is empty (at least 'name' is required)"));
  EXPECT_THAT(printed(parse_text("- name: n\n")),
              ElementsAre("t.yaml:1:1: the configuration must be a map of keys (name: ..., postgresql: ...), "
                          "not a list"));
  EXPECT_THAT(printed(parse_text("scope: x\n")),
              ElementsAre("t.yaml:1:1: name is missing (this member's name, as the HA manager names it)"));
  EXPECT_THAT(printed(parse_text("name:\n")), ElementsAre("t.yaml:1:1: name must not be empty"));
  EXPECT_THAT(printed(parse_text("name: {a: 1}\n")), ElementsAre("t.yaml:1:7: name must be a string, not a map"));
}

TEST(load, rejects_durations_without_unit_and_a_zero_loop_wait) {
  auto bad = [](std::string_view line) { return printed(parse_text(std::string(minimal) + std::string(line))); };
  EXPECT_THAT(bad("loop_wait: 10\n"),
              ElementsAre("t.yaml:2:12: loop_wait: '10' has no unit (use ms, s, min or h, e.g. 10s)"));
  EXPECT_THAT(bad("loop_wait: -1s\n"), ElementsAre("t.yaml:2:12: loop_wait: '-1s' is negative"));
  EXPECT_THAT(bad("loop_wait: 0s\n"), ElementsAre("t.yaml:2:12: loop_wait: '0s' must be greater than zero"));
  EXPECT_THAT(bad("postgresql: {copy_settle: -1s}\n"),
              ElementsAre("t.yaml:2:27: postgresql.copy_settle: '-1s' is negative"));
  EXPECT_THAT(bad("postgresql: {copy_method: restart}\n"),
              ElementsAre("t.yaml:2:27: postgresql.copy_method: 'restart' is not one of auto, file or create"));
  EXPECT_THAT(bad("failover_slots: {min_standbys: -1}\n"),
              ElementsAre("t.yaml:2:32: failover_slots.min_standbys: '-1' is not a whole number from 0 to 1000"));
  EXPECT_THAT(bad("failover_slots: {min_standbys: two}\n"),
              ElementsAre("t.yaml:2:32: failover_slots.min_standbys: 'two' is not a whole number from 0 to 1000"));
  EXPECT_THAT(bad("failover_slots: {min_standby: 2}\n"), ElementsAre(HasSubstr("unknown key 'min_standby'")));
  EXPECT_EQ(parse_text(std::string(minimal) + "failover_slots: {min_standbys: 0}\n").value->failover_slots.min_standbys,
            0);
  EXPECT_THAT(bad("loop_wait: 1.5s\n"),
              ElementsAre("t.yaml:2:12: loop_wait: '1.5s' is not a whole number (use a smaller unit, e.g. 1500ms "
                          "for 1.5s)"));
  EXPECT_THAT(bad("loop_wait: 10sec\n"),
              ElementsAre("t.yaml:2:12: loop_wait: '10sec' has an unknown unit 'sec' (use ms, s, min or h)"));
  EXPECT_THAT(bad("loop_wait: 1d\n"),
              ElementsAre("t.yaml:2:12: loop_wait: '1d' has an unknown unit 'd' (use ms, s, min or h)"));
  EXPECT_THAT(bad("loop_wait:\n"),
              ElementsAre("t.yaml:2:1: loop_wait: empty duration (use ms, s, min or h, e.g. 10s)"));
  EXPECT_THAT(bad("member_slots_ttl: 0\n"),
              ElementsAre("t.yaml:2:19: member_slots_ttl: '0' has no unit (use ms, s, min or h, e.g. 0s)"));
  EXPECT_THAT(bad("member_slots_ttl: [1s]\n"),
              ElementsAre("t.yaml:2:19: member_slots_ttl must be a string, not a list"));
}

// With failover slots, a leave_out_after shorter than a replica's loop_wait
// plus a leader sample is a warning (the file still loads).
TEST(load, warns_when_leave_out_after_is_shorter_than_a_cycle_and_a_sample) {
  const std::string slots = "slots: {cdc: {type: logical, database: app, plugin: pgoutput, failover: true}}\n";
  auto r = parse_text(std::string(minimal) + slots + "failover_slots: {leave_out_after: 10s}\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value->failover_slots.leave_out_after, 10s);
  EXPECT_THAT(printed(r), ElementsAre(HasSubstr("warning: failover_slots.leave_out_after (10000 ms) is below loop_wait")));
  EXPECT_TRUE(parse_text(std::string(minimal) + slots + "loop_wait: 5s\nfailover_slots: {leave_out_after: 10s}\n")
                  .diagnostics.empty());
  EXPECT_TRUE(parse_text(std::string(minimal) + "failover_slots: {leave_out_after: 1s}\n").diagnostics.empty())
      << "no failover slots: no warning";
  EXPECT_EQ(parse_text(std::string(minimal) + slots).value->failover_slots.leave_out_after, 30s);
}

TEST(load, rejects_bad_values) {
  auto bad = [](std::string_view line) { return printed(parse_text(std::string(minimal) + std::string(line))); };
  EXPECT_THAT(bad("role: primary\n"), ElementsAre("t.yaml:2:7: role: 'primary' is not one of auto or wait"));
  EXPECT_THAT(bad("log: {level: verbose}\n"),
              ElementsAre("t.yaml:2:14: log.level: 'verbose' is not one of trace, debug, info, warn, error, "
                          "critical or off"));
  EXPECT_THAT(bad("log: {format: xml}\n"), ElementsAre("t.yaml:2:15: log.format: 'xml' is not one of text or json"));
  EXPECT_THAT(bad("postgresql: {use_slots: maybe}\n"),
              ElementsAre("t.yaml:2:25: postgresql.use_slots: 'maybe' is not a boolean (use true or false, "
                          "without quotes)"));
  EXPECT_THAT(bad("postgresql: {use_slots: 'false'}\n"),
              ElementsAre("t.yaml:2:25: postgresql.use_slots: 'false' is not a boolean (use true or false, "
                          "without quotes)"));
  EXPECT_THAT(bad("api: {listen: localhost}\n"),
              ElementsAre("t.yaml:2:15: api.listen: 'localhost' is not host:port (e.g. 127.0.0.1:8010 or "
                          "[::1]:8010)"));
  EXPECT_THAT(bad("api: {listen: '::1:8010'}\n"),
              ElementsAre("t.yaml:2:15: api.listen: '::1:8010' is not host:port (e.g. 127.0.0.1:8010 or "
                          "[::1]:8010)"));
  EXPECT_THAT(bad("api: {listen: '127.0.0.1:0'}\n"),
              ElementsAre("t.yaml:2:15: api.listen: '127.0.0.1:0' is not host:port (e.g. 127.0.0.1:8010 or "
                          "[::1]:8010)"));
  EXPECT_THAT(bad("postgresql: [conninfo]\n"), ElementsAre("t.yaml:2:13: postgresql must be a map, not a list"));
  EXPECT_THAT(bad("postgresql: {leader_auth: {user: [a]}}\n"),
              ElementsAre("t.yaml:2:34: postgresql.leader_auth.user must be a string, not a list"));
}

TEST(load, rejects_unknown_keys_at_every_level) {
  auto bad = [](std::string_view line) { return printed(parse_text(std::string(minimal) + std::string(line))); };
  EXPECT_THAT(bad("colour: blue\n"),
              ElementsAre("t.yaml:2:1: unknown key 'colour' at the top level (expected name, scope, loop_wait, "
                          "role, postgresql, members, members_from, slots, ignore_slots, member_slots_ttl, api, log, "
                          "state_dir, failover_slots or ha_source)"));
  EXPECT_THAT(bad("postgresql: {datadir: /x}\n"),
              ElementsAre("t.yaml:2:14: unknown key 'datadir' in postgresql (expected conninfo, data_dir, bin_dir, "
                          "stop_command, start_command, copy_settle, copy_method, leader_auth or use_slots)"));
  EXPECT_THAT(bad("postgresql: {leader_auth: {password: x}}\n"),
              ElementsAre("t.yaml:2:28: unknown key 'password' in postgresql.leader_auth (expected user or "
                          "password_file)"));
  EXPECT_THAT(bad("api: {port: 8010}\n"),
              ElementsAre("t.yaml:2:7: unknown key 'port' in api (it belongs in a member's entry)"));
  EXPECT_THAT(bad("log: {file: /x}\n"),
              ElementsAre("t.yaml:2:7: unknown key 'file' in log (expected level, format or audit_file)"));
  EXPECT_THAT(bad("members: {node1: {host: h, hots: h}}\n"),
              ElementsAre("t.yaml:2:28: unknown key 'hots' in members.node1 (expected host, port, tags, "
                          "xlog_location or api)"));
  EXPECT_THAT(bad("members: {node1: {host: h, tags: {nosync: true}}}\n"),
              ElementsAre("t.yaml:2:35: unknown key 'nosync' in members.node1.tags (expected replicatefrom, "
                          "nofailover or nostream)"));
  EXPECT_THAT(bad("slots: {cdc: {type: logical, database: a, plugin: p, slot_name: x}}\n"),
              ElementsAre("t.yaml:2:54: unknown key 'slot_name' in slots.cdc (expected type, database, plugin, "
                          "failover or retention)"));
  EXPECT_THAT(bad("ignore_slots: [{slot: x}]\n"),
              ElementsAre("t.yaml:2:17: unknown key 'slot' in ignore_slots[0] (expected name, type, database or "
                          "plugin)"));
}

TEST(load, says_where_a_misplaced_key_belongs) {
  auto r = parse_text("name: n\n"
                      "postgresql:\n"
                      "  conninfo: host=/tmp\n"
                      "  ignore_slots:\n"
                      "    - {name: adhoc}\n"
                      "use_slots: false\n"
                      "members:\n"
                      "  n: {host: h, nofailover: true}\n"
                      "log: {level: info, listen: x}\n");
  EXPECT_THAT(printed(r),
              ElementsAre("t.yaml:4:3: unknown key 'ignore_slots' in postgresql (it belongs at the top level)",
                          "t.yaml:6:1: unknown key 'use_slots' at the top level (it belongs under postgresql)",
                          "t.yaml:8:16: unknown key 'nofailover' in members.n (it belongs in a member's tags)",
                          "t.yaml:9:20: unknown key 'listen' in log (it belongs under api)"));
}

TEST(load, rejects_duplicate_keys) {
  EXPECT_THAT(printed(parse_text("name: a\nscope: x\nname: b\n")),
              ElementsAre("t.yaml:3:1: duplicate key 'name' at the top level (first at line 1)"));
  EXPECT_THAT(printed(parse_text("name: a\nslots:\n  cdc:\n  cdc: {type: physical}\n")),
              ElementsAre("t.yaml:4:3: duplicate key 'cdc' in slots (first at line 3)"));
}

TEST(load, collects_every_error) {
  auto r = parse_text("loop_wait: 10\n"
                      "role: standby\n"
                      "postgresql: {ignore_slots: []}\n"
                      "slots: {Bad: {type: logical}}\n");
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(printed(r),
              ElementsAre("t.yaml:1:12: loop_wait: '10' has no unit (use ms, s, min or h, e.g. 10s)",
                          "t.yaml:2:7: role: 'standby' is not one of auto or wait",
                          "t.yaml:3:14: unknown key 'ignore_slots' in postgresql (it belongs at the top level)",
                          "t.yaml:4:9: slots: 'Bad' is not a valid slot name (1 to 63 characters of a-z, 0-9 and _)",
                          "t.yaml:4:9: slots.Bad: a logical slot needs database and plugin",
                          "t.yaml:1:1: name is missing (this member's name, as the HA manager names it)"));
}

TEST(load, requires_its_own_name_among_the_members) {
  auto r = parse_text("name: node9\nmembers:\n  node1: {host: a}\n  node2: {host: b}\n");
  EXPECT_THAT(printed(r), ElementsAre("t.yaml:1:7: name 'node9' is not among the members (node1, node2)"));
  EXPECT_TRUE(parse_text("name: node9\nmembers: {}\n").ok());
}

TEST(load, reads_members_from) {
  auto plain = parse_text(std::string(minimal));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain.value->members_from, members_from_config{}) << "default: the members of the configuration";
  EXPECT_EQ(plain.value->members_from.source, members_source::config);

  auto shorthand = parse_text(std::string(minimal) + "members_from: repmgr\n");
  ASSERT_TRUE(shorthand.ok()) << ::testing::PrintToString(printed(shorthand));
  EXPECT_EQ(shorthand.value->members_from.source, members_source::repmgr);
  EXPECT_EQ(shorthand.value->members_from.database, "repmgr");
  EXPECT_EQ(shorthand.value->members_from.api_port, std::nullopt);

  auto full = parse_text(std::string(minimal) + "members_from: {repmgr: {database: postgres, api_port: 8010}}\n");
  ASSERT_TRUE(full.ok()) << ::testing::PrintToString(printed(full));
  EXPECT_EQ(full.value->members_from.source, members_source::repmgr);
  EXPECT_EQ(full.value->members_from.database, "postgres");
  EXPECT_EQ(full.value->members_from.api_port, 8010);
  EXPECT_EQ(parse_text(std::string(minimal) + "members_from: {repmgr: }\n").value->members_from.source,
            members_source::repmgr);
  EXPECT_EQ(parse_text(std::string(minimal) + "members_from: config\n").value->members_from.source,
            members_source::config);
}

TEST(load, rejects_bad_members_from) {
  auto bad = [](std::string_view line) { return printed(parse_text(std::string(minimal) + std::string(line))); };
  EXPECT_THAT(bad("members_from: patroni\n"),
              ElementsAre("t.yaml:2:15: members_from: 'patroni' is not one of config or repmgr"));
  EXPECT_THAT(bad("members_from: {consul: {}}\n"), ElementsAre(HasSubstr("unknown key 'consul'")));
  EXPECT_THAT(bad("members_from: {repmgr: {dbname: x}}\n"), ElementsAre(HasSubstr("unknown key 'dbname'")));
  EXPECT_THAT(bad("members_from: {repmgr: {database: \"\"}}\n"), ElementsAre(HasSubstr("members_from.repmgr.database")));
  EXPECT_THAT(bad("members_from: {repmgr: {api_port: 0}}\n"), ElementsAre(HasSubstr("members_from.repmgr.api_port")));
  EXPECT_THAT(bad("members_from: repmgr\nmembers:\n  node1: {host: a}\n"),
              ElementsAre("t.yaml:4:3: members: with members_from: repmgr the members come from repmgr.nodes; "
                          "remove members (or members_from)"));
  EXPECT_TRUE(parse_text(std::string(minimal) + "members_from: repmgr\nmembers: {}\n").ok());
  EXPECT_THAT(bad("members_from: {}\n"), ElementsAre(HasSubstr("an empty map names no source")));
}

TEST(load, reads_ha_source_pg_auto_failover) {
  auto r = parse_text("name: pgautofailover_standby_2\n"
                      "ha_source: {pg_auto_failover: {monitor: 'postgres://autoctl_node@mon:5000/pg_auto_failover', "
                      "api_port: 8010}}\n");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(printed(r));
  const auto& m = r.value->members_from;
  EXPECT_EQ(m.source, members_source::pg_auto_failover) << "the members come from the monitor";
  EXPECT_EQ(m.monitor, "postgres://autoctl_node@mon:5000/pg_auto_failover");
  EXPECT_EQ(m.formation, "default");
  EXPECT_EQ(m.api_port, 8010);
  auto f = parse_text("name: pgautofailover_standby_2\nha_source: {pg_auto_failover: {monitor: m, formation: f1}}\n");
  ASSERT_TRUE(f.ok()) << ::testing::PrintToString(printed(f));
  EXPECT_EQ(f.value->members_from.formation, "f1");
}

TEST(load, rejects_bad_ha_source) {
  auto bad = [](std::string_view text) { return printed(parse_text(std::string(text))); };
  const std::string named = "name: pgautofailover_standby_1\n";
  EXPECT_THAT(bad(named + "ha_source: {pg_auto_failover: {}}\n"),
              ElementsAre(HasSubstr("ha_source.pg_auto_failover.monitor is missing")));
  EXPECT_THAT(bad(named + "ha_source: {pg_auto_failover: {monitor: ''}}\n"),
              ElementsAre(HasSubstr("ha_source.pg_auto_failover.monitor")));
  EXPECT_THAT(bad(named + "ha_source: {patroni: {}}\n"), ElementsAre(HasSubstr("unknown key 'patroni'")));
  EXPECT_THAT(bad(named + "ha_source: pg_auto_failover\n"), ElementsAre(HasSubstr("name the HA manager")));
  EXPECT_THAT(bad(named + "ha_source: {pg_auto_failover: {monitor: m, api_port: 0}}\n"),
              ElementsAre(HasSubstr("ha_source.pg_auto_failover.api_port")));
  EXPECT_THAT(bad("name: node1\nha_source: {pg_auto_failover: {monitor: m}}\n"),
              ElementsAre(HasSubstr("name is the physical slot that pg_auto_failover gives this node, "
                                    "pgautofailover_standby_<node id>")));
  EXPECT_THAT(bad(named + "ha_source: {pg_auto_failover: {monitor: m}}\nmembers_from: repmgr\n"),
              ElementsAre(HasSubstr("remove members_from")));
  EXPECT_THAT(bad(named + "ha_source: {pg_auto_failover: {monitor: m}}\nmembers:\n  pgautofailover_standby_1: "
                          "{host: a}\n"),
              ElementsAre(HasSubstr("members: with ha_source: pg_auto_failover the members come from the "
                                    "pg_auto_failover monitor; remove members (or ha_source)")));
}

} // namespace
} // namespace slotd::config
