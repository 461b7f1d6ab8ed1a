// members_from: repmgr on real servers: the members come from repmgr.nodes
// on the local server, nothing is planned before they are known (with no
// members every member slot would look unknown and be dropped), and a
// repmgr.nodes that cannot be read keeps the members in force.
#include <gtest/gtest.h>

#include "tests/actors/agent_fixture.hpp"

namespace slotd::testing {
namespace {

using namespace std::chrono_literals;

// repmgr 5's table, as `repmgr primary register` creates it (the columns
// slotd reads, and the others it ignores).
const char* repmgr_schema = R"(CREATE SCHEMA repmgr;
CREATE TABLE repmgr.nodes (
  node_id INTEGER PRIMARY KEY, upstream_node_id INTEGER, active BOOLEAN NOT NULL DEFAULT TRUE,
  node_name TEXT NOT NULL, type TEXT NOT NULL, location TEXT NOT NULL DEFAULT 'default',
  priority INT NOT NULL DEFAULT 100, conninfo TEXT NOT NULL, repluser VARCHAR(63) NOT NULL DEFAULT 'repmgr',
  slot_name TEXT NULL, config_file TEXT NOT NULL DEFAULT '/etc/repmgr.conf'))";

std::string node_row(int id, const node& n, const std::string& type, std::optional<int> upstream) {
  return "(" + std::to_string(id) + ", " + (upstream ? std::to_string(*upstream) : "NULL") + ", '" + n.name() +
         "', '" + type + "', 'host=127.0.0.1 port=" + std::to_string(n.port()) +
         " user=postgres dbname=postgres connect_timeout=2')";
}

void register_nodes(node& p, const std::vector<std::string>& rows) {
  std::string values;
  for (auto& r : rows)
    values += (values.empty() ? "" : ", ") + r;
  p.exec("INSERT INTO repmgr.nodes (node_id, upstream_node_id, node_name, type, conninfo) VALUES " + values);
}

bool has_alert(const json& status, const std::string& text) {
  for (auto& a : status["alerts"])
    if (a.dump().find(text) != std::string::npos)
      return true;
  return false;
}

TEST(members_from, repmgr_nodes_give_the_members_and_nothing_is_planned_before) {
  cluster c({.replicas = 2});
  auto& p = c.primary();
  auto& r1 = c.at(1);
  auto& r2 = c.at(2);
  // A slot named like a member nobody has declared yet: unknown once the
  // members are known, so dropped then, and only then.
  p.exec("SELECT pg_create_physical_replication_slot('gone', true)");
  ASSERT_TRUE(slots_of(p).contains(r1.name())) << "the harness streams the replicas through their member slots";

  model::cluster_view view; // no members: they come from repmgr.nodes
  view.slots["cdc"] = logical_slot("cdc", "app", "test_decoding");
  agent_options o;
  o.members_from.source = config::members_source::repmgr;
  o.members_from.database = "postgres";
  o.members_from.api_port = 8010;
  agents a;
  a.start(p, view, o);

  // No repmgr.nodes yet: the agent waits, and says so.
  ASSERT_TRUE(eventually([&] { return has_alert(a.status(p.name()), "waiting for the members from repmgr.nodes"); }))
      << a.dump(p.name()).dump(2);
  ASSERT_TRUE(eventually([&] {
    auto d = a.dump(p.name());
    return d["members_reader"]["reads"].get<int>() >= 3 && d["ha_loop"]["cycles"].get<int>() >= 3;
  })) << a.dump(p.name()).dump(2);
  auto early = a.demote(p.name(), r1.name());
  EXPECT_EQ(early.refused, actors::refusal::busy) << "not now (409): asked again once the members are read";
  EXPECT_NE(early.error.find("not read from repmgr.nodes yet"), std::string::npos) << early.error;
  auto before = slots_of(p);
  EXPECT_FALSE(before.contains("cdc")) << "nothing is created before the members are known";
  EXPECT_TRUE(before.contains("gone")) << "nothing is dropped before the members are known";
  EXPECT_TRUE(before.contains(r1.name()) && before.contains(r2.name())) << "the replicas' slots stay";
  auto d = a.dump(p.name());
  EXPECT_TRUE(d["ha_loop"]["members_awaited"].get<bool>());
  EXPECT_NE(d["members_reader"]["error"].get<std::string>().find("repmgr.nodes"), std::string::npos)
      << d["members_reader"].dump(2);

  // repmgr registers the primary, one replica, and a standby that is down
  // (inactive: it still is a member, and gets its slot).
  p.exec(repmgr_schema);
  register_nodes(p, {node_row(1, p, "primary", std::nullopt), node_row(2, r1, "standby", 1),
                     "(9, 1, 'spare', 'standby', 'host=127.0.0.1 port=1 dbname=postgres')"});
  p.exec("UPDATE repmgr.nodes SET active = false WHERE node_id = 9");
  ASSERT_TRUE(eventually([&] {
    auto s = slots_of(p);
    return s.contains("cdc") && !s.contains("gone") && s.contains("spare");
  })) << a.dump(p.name()).dump(2);
  EXPECT_TRUE(slots_of(p).contains(r1.name())) << "a registered replica keeps its slot";
  auto st = a.status(p.name());
  EXPECT_FALSE(has_alert(st, "waiting for the members")) << st.dump(2);
  d = a.dump(p.name());
  auto members = d["ha_loop"]["view"]["members"];
  ASSERT_EQ(members.size(), 3u) << members.dump(2);
  EXPECT_EQ(members[r1.name()]["port"], r1.port()) << members.dump(2);
  EXPECT_EQ(members[r1.name()]["host"], "127.0.0.1");
  EXPECT_EQ(members[r1.name()]["api"], "http://127.0.0.1:8010");

  // The second replica registers, as a cascade from the first: its slot
  // belongs on the first replica, not on the primary.
  register_nodes(p, {node_row(3, r2, "standby", 2)});
  ASSERT_TRUE(eventually([&] {
    auto m = a.dump(p.name())["ha_loop"]["view"]["members"];
    return m.contains(r2.name()) && m[r2.name()]["tags"]["replicatefrom"] == r1.name();
  })) << a.dump(p.name()).dump(2);

  auto unknown = a.demote(p.name(), "node9");
  EXPECT_EQ(unknown.refused, actors::refusal::bad_request) << "read: an unknown name is no longer worth asking again";
  EXPECT_NE(unknown.error.find("not among the members read from repmgr.nodes"), std::string::npos) << unknown.error;

  // The API may not set the members; the other keys it may.
  config::cluster_update members_update;
  members_update.members = std::map<std::string, model::member>{{p.name(), member_of(p)}};
  auto refused = a.update(p.name(), members_update);
  EXPECT_EQ(refused.refused, actors::refusal::bad_request);
  EXPECT_NE(refused.error.find("members come from repmgr.nodes"), std::string::npos) << refused.error;
  config::cluster_update slots_update;
  slots_update.slots = std::map<std::string, model::permanent_slot>{{"cdc", logical_slot("cdc", "app", "test_decoding")},
                                                                    {"archiver", physical_slot("archiver")}};
  auto taken = a.update(p.name(), slots_update);
  EXPECT_EQ(taken.refused, actors::refusal::none) << taken.error;
  EXPECT_EQ(taken.view.members.size(), 4u) << "the members read from repmgr.nodes stay";
  ASSERT_TRUE(eventually([&] { return slots_of(p).contains("archiver"); })) << a.dump(p.name()).dump(2);

  // repmgr.nodes can no longer be read: the members stay as they were.
  p.exec("ALTER TABLE repmgr.nodes RENAME TO nodes_away");
  ASSERT_TRUE(eventually([&] {
    return a.dump(p.name())["members_reader"]["error"].get<std::string>().find("cannot read") != std::string::npos;
  })) << a.dump(p.name()).dump(2);
  auto cycles = a.dump(p.name())["ha_loop"]["cycles"].get<int>();
  ASSERT_TRUE(eventually([&] { return a.dump(p.name())["ha_loop"]["cycles"].get<int>() >= cycles + 2; }));
  d = a.dump(p.name());
  EXPECT_EQ(d["ha_loop"]["view"]["members"].size(), 4u) << d["ha_loop"]["view"].dump(2);
  EXPECT_TRUE(slots_of(p).contains("spare")) << "no member slot is dropped while repmgr.nodes is away";
  // ... and /status says so, with the reason, while it lasts.
  auto away = a.status(p.name());
  EXPECT_TRUE(has_alert(away, "members_from repmgr: the members are not updated from repmgr.nodes since")) << away.dump(2);
  EXPECT_TRUE(has_alert(away, "cannot read repmgr.nodes")) << away.dump(2);
  EXPECT_FALSE(has_alert(away, "waiting for the members")) << "the members read before are in force";

  // Back, without the spare (repmgr standby unregister): it leaves the
  // members, and its slot is kept for member_slots_ttl.
  p.exec("ALTER TABLE repmgr.nodes_away RENAME TO nodes");
  p.exec("DELETE FROM repmgr.nodes WHERE node_id = 9");
  ASSERT_TRUE(eventually([&] {
    auto dd = a.dump(p.name());
    return dd["members_reader"]["error"] == "" && dd["ha_loop"]["view"]["members"].size() == 3u;
  })) << a.dump(p.name()).dump(2);
  ASSERT_TRUE(eventually([&] { return !has_alert(a.status(p.name()), "not updated from repmgr.nodes"); }))
      << a.status(p.name()).dump(2);
  cycles = a.dump(p.name())["ha_loop"]["cycles"].get<int>();
  ASSERT_TRUE(eventually([&] { return a.dump(p.name())["ha_loop"]["cycles"].get<int>() >= cycles + 2; }));
  EXPECT_TRUE(slots_of(p).contains("spare")) << "a member that left keeps its slot for member_slots_ttl";
}

} // namespace
} // namespace slotd::testing
