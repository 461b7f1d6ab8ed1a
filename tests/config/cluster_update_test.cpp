// PUT /cluster bodies: JSON with the shapes of the config file.
#include "config/cluster_update.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/config/test_util.hpp"

namespace slotd::config {
namespace {

using namespace std::chrono_literals;
using test::printed;
using ::testing::ElementsAre;

constexpr const char* source = "PUT /cluster";

TEST(parse_cluster_update, reads_every_key_from_json) {
  auto r = parse_cluster_update(R"({
  "members": {"node1": {"host": "10.0.0.1", "port": 5432},
              "node2": {"host": "10.0.0.2", "port": 5433, "xlog_location": "0/3000060",
                        "tags": {"replicatefrom": "node1", "nofailover": true}}},
  "slots": {"cdc": {"type": "logical", "database": "app", "plugin": "pgoutput", "failover": true},
            "archiver": null, "backup": {}},
  "ignore_slots": [{"name": "adhoc"}, {"type": "logical", "plugin": "wal2json"}],
  "member_slots_ttl": "0s",
  "use_slots": false
})",
                                source);
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(printed(r));
  const cluster_update& u = *r.value;
  ASSERT_TRUE(u.members);
  EXPECT_EQ(u.members->at("node1"), (model::member{"node1", "10.0.0.1", 5432, {}, std::nullopt}));
  EXPECT_EQ(u.members->at("node2"),
            (model::member{"node2", "10.0.0.2", 5433, {"node1", true, false}, pg::lsn(0x3000060)}));
  ASSERT_TRUE(u.slots);
  EXPECT_EQ(u.slots->at("cdc"), (model::permanent_slot{"cdc", model::slot_type::logical, "app", "pgoutput", true}));
  EXPECT_EQ(u.slots->at("archiver").type, model::slot_type::physical);
  EXPECT_EQ(u.slots->at("backup").type, model::slot_type::physical);
  ASSERT_TRUE(u.ignore_slots);
  EXPECT_EQ(u.ignore_slots->size(), 2u);
  EXPECT_EQ(u.member_slots_ttl, 0ms);
  EXPECT_EQ(u.use_slots, false);
}

TEST(parse_cluster_update, leaves_absent_keys_absent_and_replaces_present_ones_whole) {
  auto r = parse_cluster_update(R"({"slots": {"archiver": {"type": "physical"}}})", source);
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(printed(r));
  EXPECT_FALSE(r.value->members);
  EXPECT_FALSE(r.value->ignore_slots);
  EXPECT_FALSE(r.value->member_slots_ttl);
  EXPECT_FALSE(r.value->use_slots);

  model::cluster_view view;
  view.members["node1"] = {"node1", "h", 5432, {}, std::nullopt};
  view.slots["cdc"] = {"cdc", model::slot_type::logical, "app", "pgoutput", false};
  view.ignore_slots = {{"adhoc", std::nullopt, std::nullopt, std::nullopt}};
  model::cluster_view expected = view;
  expected.slots = {{"archiver", {"archiver", model::slot_type::physical, "", "", false}}};
  r.value->apply_to(view);
  EXPECT_EQ(view, expected);

  auto empty = parse_cluster_update("{}", source);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty.value, cluster_update{});
}

// Updates accumulate: a later one replaces only the parts it has; applied
// to a reloaded file's view they win over it, part by part.
TEST(cluster_update, merged_updates_win_over_a_reloaded_view_part_by_part) {
  cluster_update first, second;
  first.use_slots = false;
  first.member_slots_ttl = std::chrono::milliseconds(1000);
  second.member_slots_ttl = std::chrono::milliseconds(2000);
  first.merge(second);
  EXPECT_EQ(first.use_slots, false);
  EXPECT_EQ(first.member_slots_ttl, std::chrono::milliseconds(2000));
  EXPECT_FALSE(first.members);
  model::cluster_view reloaded;
  reloaded.members["a"] = {};
  reloaded.use_slots = true;
  first.apply_to(reloaded);
  EXPECT_FALSE(reloaded.use_slots);
  EXPECT_EQ(reloaded.member_slots_ttl, std::chrono::milliseconds(2000));
  EXPECT_TRUE(reloaded.members.contains("a")) << "a part no update set comes from the file";
}

TEST(parse_cluster_update, reports_problems_with_their_position) {
  EXPECT_THAT(printed(parse_cluster_update(R"({"members": {"n1": {"host": "h", "port": 70000}}, "name": "x"})",
                                           source)),
              ElementsAre("PUT /cluster:1:42: members.n1.port: '70000' is not a port number (1 to 65535)",
                          "PUT /cluster:1:51: unknown key 'name' in the cluster update (expected members, slots, "
                          "ignore_slots, member_slots_ttl or use_slots)"));
  EXPECT_THAT(printed(parse_cluster_update(R"({"member_slots_ttl": 1800})", source)),
              ElementsAre("PUT /cluster:1:22: member_slots_ttl: '1800' has no unit (use ms, s, min or h, e.g. "
                          "1800s)"));
  EXPECT_THAT(printed(parse_cluster_update(R"({"slots": {"cdc": {"type": "logical"}}})", source)),
              ElementsAre("PUT /cluster:1:12: slots.cdc: a logical slot needs database and plugin"));
  EXPECT_THAT(printed(parse_cluster_update(R"({"members": {"n1": {"host": "h", "nofailover": true}}})", source)),
              ElementsAre("PUT /cluster:1:34: unknown key 'nofailover' in members.n1 (it belongs in a member's "
                          "tags)"));
  EXPECT_THAT(printed(parse_cluster_update(R"({"use_slots": "yes"})", source)),
              ElementsAre("PUT /cluster:1:15: use_slots: 'yes' is not a boolean (use true or false, without "
                          "quotes)"));
}

TEST(parse_cluster_update, reads_a_members_agent_api_and_refuses_one_that_is_not_http_host_port) {
  auto r = parse_cluster_update(R"({"members": {"n1": {"host": "h", "api": "http://10.0.0.1:8010"}}})", source);
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(printed(r));
  EXPECT_EQ(r.value->members->at("n1").api, "http://10.0.0.1:8010");
  EXPECT_THAT(printed(parse_cluster_update(R"({"members": {"n1": {"host": "h", "api": "https://h:1"}}})", source)),
              ElementsAre("PUT /cluster:1:41: members.n1.api: 'https://h:1': only http:// URLs are supported"));
  EXPECT_THAT(printed(parse_cluster_update(R"({"members": {"n1": {"host": "h", "api": "http://h:80/x"}}})", source)),
              ElementsAre("PUT /cluster:1:41: members.n1.api: 'http://h:80/x': give http://HOST:PORT without a "
                          "path"));
}

TEST(parse_cluster_update, rejects_a_body_that_is_not_an_object) {
  EXPECT_THAT(printed(parse_cluster_update("[1]", source)),
              ElementsAre("PUT /cluster:1:1: the cluster update must be an object with any of members, slots, "
                          "ignore_slots, member_slots_ttl or use_slots, not a list"));
  EXPECT_THAT(printed(parse_cluster_update("", source)),
              ElementsAre("PUT /cluster:1:1: the cluster update must be an object with any of members, slots, "
                          "ignore_slots, member_slots_ttl or use_slots, not empty"));
  EXPECT_THAT(printed(parse_cluster_update(R"({"members": {)", source)),
              ElementsAre("PUT /cluster:1:1: end of map flow not found"));
}

TEST(apply_cluster_update, checks_the_merged_view) {
  model::cluster_view view;
  view.members["node1"] = {"node1", "a", 5432, {}, std::nullopt};
  view.members["node2"] = {"node2", "b", 5432, {}, std::nullopt};

  auto update = parse_cluster_update(R"({"slots": {"node2": {"database": "app", "plugin": "pgoutput"}}})", source);
  ASSERT_TRUE(update.ok());
  auto clash = apply_cluster_update(view, *update.value, "node1", source);
  EXPECT_FALSE(clash.ok());
  EXPECT_THAT(printed(clash),
              ElementsAre("PUT /cluster: logical slot 'node2' has the name of the physical slot of member 'node2'"));

  auto without_me = parse_cluster_update(R"({"members": {"node2": {"host": "b"}}})", source);
  ASSERT_TRUE(without_me.ok());
  EXPECT_THAT(printed(apply_cluster_update(view, *without_me.value, "node1", source)),
              ElementsAre("PUT /cluster: name 'node1' is not among the members (node2)"));

  auto fine = parse_cluster_update(R"({"member_slots_ttl": "1h", "members": {"node1": {"host": "a"},
                                       "node3": {"host": "c", "tags": {"replicatefrom": "node9"}}}})",
                                   source);
  ASSERT_TRUE(fine.ok());
  auto applied = apply_cluster_update(view, *fine.value, "node1", source);
  ASSERT_TRUE(applied.ok());
  EXPECT_THAT(printed(applied), ElementsAre("PUT /cluster: warning: member 'node3' replicates from 'node9', which is "
                                            "not a member (taken as streaming from the primary)"));
  EXPECT_EQ(applied.value->member_slots_ttl, 1h);
  EXPECT_EQ(applied.value->members.size(), 2u);
  EXPECT_TRUE(applied.value->members.contains("node3"));
}

} // namespace
} // namespace slotd::config
