// ha_source: pg_auto_failover on real servers, with a stand-in monitor: the
// monitor's table pgautofailover.node (the columns slotd reads) on a real
// server, changed by hand and announced with NOTIFY state as the monitor
// does. The agent takes its members from it, follows the primary, promotes
// itself when its node is assigned prepare_promotion (before the next
// loop_wait: on the notification), follows again when told so, and keeps
// reading after the monitor connection is lost. tests/ha/pgaf_failover
// runs the real pg_auto_failover.
#include <gtest/gtest.h>

#include "tests/actors/agent_fixture.hpp"

namespace slotd::testing {
namespace {

using namespace std::chrono_literals;

const char* monitor_schema = R"(CREATE SCHEMA pgautofailover;
CREATE TABLE pgautofailover.node (
  formationid text NOT NULL DEFAULT 'default', nodeid bigint PRIMARY KEY, groupid int NOT NULL DEFAULT 0,
  nodename text NOT NULL, nodehost text NOT NULL, nodeport int NOT NULL, goalstate text NOT NULL,
  reportedstate text NOT NULL, candidatepriority int NOT NULL DEFAULT 100))";

// The states of a node, then the notification pg_autoctl's monitor sends.
void set_states(node& monitor, int id, const std::string& goal, const std::string& reported) {
  monitor.exec("UPDATE pgautofailover.node SET goalstate = '" + goal + "', reportedstate = '" + reported +
               "' WHERE nodeid = " + std::to_string(id));
  monitor.exec("NOTIFY state, '{\"type\": \"state\", \"nodeId\": " + std::to_string(id) + "}'");
}

json reader_of(agents& a, const node& n) { return a.dump(n.name())["members_reader"]; }

TEST(pgaf_source, the_monitor_gives_the_members_and_the_goal_states_promote_and_follow) {
  cluster c({.replicas = 1});
  auto& p = c.primary();
  auto& r = c.at(1);
  p.exec(monitor_schema);
  p.exec("INSERT INTO pgautofailover.node (nodeid, nodename, nodehost, nodeport, goalstate, reportedstate) VALUES "
         "(1, 'node_1', '127.0.0.1', " + std::to_string(p.port()) + ", 'primary', 'primary'), "
         "(2, 'node_2', '127.0.0.1', " + std::to_string(r.port()) + ", 'secondary', 'secondary')");
  // Another formation's node is not a member.
  p.exec("INSERT INTO pgautofailover.node (formationid, nodeid, nodename, nodehost, nodeport, goalstate, "
         "reportedstate) VALUES ('other', 3, 'node_3', '127.0.0.1', 1, 'primary', 'primary')");

  model::cluster_view view; // no members: they come from the monitor
  agent_options o;
  o.name = "pgautofailover_standby_2";
  o.members_from.source = config::members_source::pg_auto_failover;
  o.members_from.monitor = p.conninfo("postgres");
  o.members_from.api_port = 8010;
  // Far above the waits below: what happens before it comes from the
  // notifications.
  o.loop_wait = 30s;
  agents a;
  a.start(r, view, o);

  // The members, and a follow of the primary.
  ASSERT_TRUE(eventually([&] {
    auto d = reader_of(a, r);
    return d["told"]["step"] == "follow" && d["told"]["leader"] == "pgautofailover_standby_1";
  })) << a.dump(r.name()).dump(2);
  auto d = a.dump(r.name());
  auto members = d["ha_loop"]["view"]["members"];
  ASSERT_EQ(members.size(), 2u) << members.dump(2);
  EXPECT_EQ(members["pgautofailover_standby_1"]["port"], p.port());
  EXPECT_EQ(members["pgautofailover_standby_1"]["api"], "http://127.0.0.1:8010");
  EXPECT_EQ(members["pgautofailover_standby_2"]["port"], r.port());
  auto st = a.status(r.name());
  EXPECT_EQ(st["role"], "replica") << st.dump(2);
  EXPECT_EQ(st["leader"], "pgautofailover_standby_1") << st.dump(2);

  // A failover: the monitor drains the primary and assigns this node
  // prepare_promotion. The agent promotes itself (the final advance) on
  // the notification, long before its next loop_wait.
  auto reads = reader_of(a, r)["reads"].get<int>();
  set_states(p, 1, "draining", "primary");
  set_states(p, 2, "prepare_promotion", "secondary");
  ASSERT_TRUE(eventually([&] { return reader_of(a, r)["told"]["step"] == "promote"; }, 10s))
      << a.dump(r.name()).dump(2);
  d = reader_of(a, r);
  EXPECT_EQ(d["promotes"], 1) << d.dump(2);
  EXPECT_GE(d["notifications"].get<int>(), 1) << d.dump(2);
  EXPECT_LE(d["reads"].get<int>(), reads + 4) << "a read per notification, not a poll: " << d.dump(2);
  EXPECT_NE(d["last_step"].get<std::string>().find("promote: done"), std::string::npos) << d.dump(2);
  st = a.status(r.name());
  EXPECT_EQ(st["role"], "promoting") << "told primary, the server still in recovery: " << st.dump(2);
  // Later steps of the same promotion send nothing more.
  set_states(p, 2, "stop_replication", "prepare_promotion");
  ASSERT_TRUE(eventually([&] { return reader_of(a, r)["states"]["goal"] == "stop_replication"; }, 10s))
      << a.dump(r.name()).dump(2);
  EXPECT_EQ(reader_of(a, r)["promotes"], 1);

  // The promotion is called off: node 1 is the primary again, this node a
  // secondary: it follows node 1 again.
  set_states(p, 1, "primary", "primary");
  set_states(p, 2, "secondary", "secondary");
  ASSERT_TRUE(eventually([&] {
    auto s = a.status(r.name());
    return s["role"] == "replica" && s["leader"] == "pgautofailover_standby_1";
  }, 10s)) << a.dump(r.name()).dump(2);
  EXPECT_EQ(reader_of(a, r)["follows"], 2);

  // The monitor shows this node promoted already (the notifications of the
  // promotion missed): the agent, still a replica, promotes itself.
  set_states(p, 1, "demoted", "primary");
  set_states(p, 2, "primary", "primary");
  ASSERT_TRUE(eventually([&] { return reader_of(a, r)["promotes"] == 2; }, 10s)) << a.dump(r.name()).dump(2);
  ASSERT_TRUE(eventually([&] { return a.status(r.name())["role"] == "promoting"; }, 10s)) << a.dump(r.name()).dump(2);
  d = reader_of(a, r);
  EXPECT_EQ(d["told"]["step"], "promote") << d.dump(2);
  // Confirmed primary: nothing more is sent at the next notification.
  auto seen = reader_of(a, r)["reads"].get<int>();
  set_states(p, 2, "primary", "primary");
  ASSERT_TRUE(eventually([&] {
    auto dd = reader_of(a, r);
    return dd["reads"].get<int>() > seen && !dd["acting"].get<bool>();
  }, 10s)) << a.dump(r.name()).dump(2);
  EXPECT_EQ(reader_of(a, r)["promotes"], 2);
  set_states(p, 1, "primary", "primary");
  set_states(p, 2, "secondary", "secondary");
  ASSERT_TRUE(eventually([&] { return reader_of(a, r)["follows"] == 3; }, 10s)) << a.dump(r.name()).dump(2);

  // The monitor connection is lost: the reader says so, connects again at
  // its next loop_wait, and follows the notifications again.
  p.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pgautofailover.node%' AND "
         "pid <> pg_backend_pid()");
  ASSERT_TRUE(eventually([&] { return reader_of(a, r)["error"].get<std::string>().find("cannot read") == 0; }, 10s))
      << a.dump(r.name()).dump(2);
  ASSERT_TRUE(eventually([&] { return reader_of(a, r)["error"] == ""; }, 45s)) << a.dump(r.name()).dump(2);
  set_states(p, 1, "draining", "primary");
  set_states(p, 2, "prepare_promotion", "secondary");
  ASSERT_TRUE(eventually([&] { return reader_of(a, r)["promotes"] == 3; }, 10s)) << a.dump(r.name()).dump(2);

  // This node's record goes (pg_autoctl drop node): an error, the members stay.
  p.exec("DELETE FROM pgautofailover.node WHERE nodeid = 2");
  p.exec("NOTIFY state");
  ASSERT_TRUE(eventually([&] {
    return reader_of(a, r)["error"].get<std::string>().find("is not registered in formation default") !=
           std::string::npos;
  }, 10s)) << a.dump(r.name()).dump(2);
  EXPECT_EQ(a.dump(r.name())["ha_loop"]["view"]["members"].size(), 2u);
}

} // namespace
} // namespace slotd::testing
