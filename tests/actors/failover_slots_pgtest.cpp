// PostgreSQL 17+ native failover slots with whole agents on real
// servers: a permanent slot declared failover: true is created with the flag
// on the primary, synced by PostgreSQL's slotsync worker on the replicas,
// reported ready from `synced AND NOT temporary AND invalidation_reason IS
// NULL`; synchronized_standby_slots on the primary follows the view; a
// missing standby prerequisite is named; a demoted primary's own failover
// slot is dropped so that slotsync takes it over. Skipped before 17.
#include <set>
#include <thread>

#include "tests/actors/agent_fixture.hpp"
#include "tests/app/prometheus_parser.hpp"

using namespace slotd;
using namespace slotd::testing;

namespace {

// slotsync needs, on every standby: sync_replication_slots, and (set by the
// harness) hot_standby_feedback, primary_slot_name and a dbname in
// primary_conninfo. On the primary the setting does nothing.
cluster_options failover_cluster(int replicas) {
  cluster_options o;
  o.replicas = replicas;
  o.extra_conf = "sync_replication_slots = on\n";
  return o;
}

model::permanent_slot failover_slot(const std::string& name) {
  auto s = logical_slot(name, "app", "test_decoding");
  s.failover = true;
  return s;
}

std::set<int> consume(node& n, const std::string& slot) {
  auto ids = decoded_ids(n.query("SELECT data FROM pg_logical_slot_get_changes('" + slot + "', NULL, NULL)", "app"));
  return {ids.begin(), ids.end()};
}

// slotsync keeps a new synced slot temporary until the primary's slot has
// moved past the standby's position: make some traffic and consume it.
void nudge(node& primary, const std::string& slot, int& next_id) {
  primary.exec("INSERT INTO t VALUES (" + std::to_string(next_id++) + ")", "app");
  consume(primary, slot);
  primary.exec("SELECT pg_log_standby_snapshot()");
}

// Agents on every node of `c`; true once the failover slot exists on the
// primary with the flag and PostgreSQL has synced it to `replica` (ready by
// the agent's rule), nudging the primary's slot forward meanwhile.
bool start_until_synced(agents& a, cluster& c, const model::cluster_view& view, const std::string& slot,
                        const std::string& replica, int& next_id) {
  for (std::size_t i = 0; i < c.size(); ++i)
    a.start(c.at(i), view);
  auto& p = c.primary();
  // The slot is listed while its creation still waits for a consistent
  // snapshot, active for the creating backend: consuming it then fails.
  if (!eventually([&] { return slot_attr(p, slot, "failover") == "true" && slot_attr(p, slot, "active") == "false"; },
                  60s)) {
    ADD_FAILURE() << "not created with the failover flag: " << a.dump(p.name()).dump(2);
    return false;
  }
  bool ready = false;
  if (!eventually([&] {
        nudge(p, slot, next_id);
        a.readiness(replica, &ready);
        return ready;
      }, 90s)) {
    ADD_FAILURE() << "not synced and ready: " << a.status(replica).dump(2);
    return false;
  }
  return true;
}

// PUT /cluster with `members` on `agent`'s agent; true once `n`'s
// synchronized_standby_slots is `expected`.
bool update_members_until(agents& a, const std::string& agent, const std::map<std::string, model::member>& members,
                          node& n, const std::string& expected) {
  config::cluster_update u;
  u.members = members;
  auto reply = a.update(agent, u);
  if (reply.refused != actors::refusal::none) {
    ADD_FAILURE() << "PUT /cluster: " << actors::to_string(reply.refused) << " " << reply.error;
    return false;
  }
  if (!eventually([&] { return n.scalar("SHOW synchronized_standby_slots") == expected; })) {
    ADD_FAILURE() << "synchronized_standby_slots is not '" << expected << "': " << a.status(agent).dump(2);
    return false;
  }
  return true;
}

bool skip_before_17() { return pg_install::current().major < 17; }

// node1 primary and node2 its replica, a table t, agents on both (declared
// after the cluster: they stop first), and the failover slot cdc.
struct synced_pair {
  cluster c{failover_cluster(1)};
  node& p = c.primary();
  node& cand = c.replica(0);
  model::cluster_view view;
  agents a;
  int next_id;

  explicit synced_pair(int first_id) : next_id(first_id) {
    p.exec("CREATE TABLE t (id int primary key)", "app");
    view = view_of(c, {failover_slot("cdc")});
  }
  // The agents started and cdc synced to node2 and ready there.
  bool start() { return start_until_synced(a, c, view, "cdc", "node2", next_id); }

  // Switchover to node2: the old primary stops first, then POST /promote,
  // then the server is promoted; the promote reply.
  actors::promote_reply switch_over() {
    p.stop_fast();
    auto reply = a.promote("node2");
    if (reply.refused != actors::refusal::none)
      return reply;
    cand.promote();
    if (!eventually([&] { return a.status("node2")["role"] == "primary"; }))
      ADD_FAILURE() << "node2 not primary: " << a.status("node2").dump(2);
    return reply;
  }
};

// node1 primary, node2 and node3 its replicas, a table t; agents (declared
// after the cluster: they stop first) and the failover slot cdc.
struct trio {
  cluster c{failover_cluster(2)};
  node& p = c.primary();
  node& r1 = c.replica(0);
  node& r2 = c.replica(1);
  model::cluster_view view;
  agents a;
  int next_id = 1;
  trio() {
    p.exec("CREATE TABLE t (id int primary key)", "app");
    view = view_of(c, {failover_slot("cdc")});
  }
  // The agents started, cdc synced to node3 and ready there, and both
  // replicas listed in synchronized_standby_slots.
  bool start() {
    if (!start_until_synced(a, c, view, "cdc", "node3", next_id))
      return false;
    if (eventually([&] { return p.scalar("SHOW synchronized_standby_slots") == "node2,node3"; }))
      return true;
    ADD_FAILURE() << "synchronized_standby_slots: " << a.status("node1").dump(2);
    return false;
  }
};

} // namespace

TEST(failover_slots, synced_by_postgres_ready_and_standby_slots_follow_the_view) {
  if (skip_before_17())
    GTEST_SKIP() << "failover slots need PostgreSQL 17+, this is " << pg_install::current().major;
  trio x;
  auto& c = x.c;
  auto& p = x.p;
  auto& r1 = x.r1;
  auto& r2 = x.r2;
  // node3 lacks one prerequisite: its failover slot is never synced.
  r2.exec("ALTER SYSTEM SET sync_replication_slots = off");
  r2.exec("SELECT pg_reload_conf()");
  auto& view = x.view;
  auto& a = x.a;
  auto& next_id = x.next_id;
  // Created with the failover flag on the primary, synced by PostgreSQL on
  // node2, ready once not temporary.
  ASSERT_TRUE(start_until_synced(a, c, view, "cdc", "node2", next_id));
  // The primary waits for both failover-capable replicas.
  EXPECT_TRUE(eventually([&] { return p.scalar("SHOW synchronized_standby_slots") == "node2,node3"; }))
      << a.status("node1").dump(2);
  EXPECT_TRUE(eventually([&] { return a.status("node1")["failover"]["synchronized_standby_slots"] == "node2,node3"; }))
      << a.status("node1").dump(2);
  bool ready = false;
  EXPECT_EQ(slot_attr(r1, "cdc", "synced"), "true");
  EXPECT_EQ(slot_attr(r1, "cdc", "temporary"), "false");
  auto st = a.status("node2");
  EXPECT_EQ(st["failover"]["slots"]["cdc"]["ready"], true) << st.dump(2);
  EXPECT_EQ(st["failover"]["prerequisites"]["missing"], json::array()) << st.dump(2);
  EXPECT_EQ(a.readiness("node2")["failover_slots"], (json{{"total", 1}, {"ready", 1}}));

  // node3 names what is missing, and is not ready.
  EXPECT_TRUE(eventually([&] {
    return a.status("node3")["failover"]["prerequisites"]["missing"] == json::array({"sync_replication_slots"});
  })) << a.status("node3").dump(2);
  auto rd3 = a.readiness("node3", &ready);
  EXPECT_FALSE(ready) << rd3.dump(2);
  EXPECT_EQ(rd3["missing_prerequisites"], json::array({"sync_replication_slots"}));
  EXPECT_FALSE(slot_attr(r2, "cdc", "synced").has_value());

  // Membership change (PUT /cluster): node3 leaves the view, then node2
  // becomes nofailover; the setting never names a member that is gone.
  auto members = view.members;
  members.erase("node3");
  EXPECT_TRUE(update_members_until(a, "node1", members, p, "node2"));
  members["node2"].tags.nofailover = true;
  EXPECT_TRUE(update_members_until(a, "node1", members, p, ""));
  // With nobody to wait for, the consumer on the primary is not held back.
  nudge(p, "cdc", next_id);
}

// Zero-loss failover with a failover: true slot synced by PostgreSQL itself:
// promote via the agent, promote the server, consume on the new primary.
TEST(failover_slots, drill_consumer_loses_nothing) {
  if (skip_before_17())
    GTEST_SKIP() << "failover slots need PostgreSQL 17+, this is " << pg_install::current().major;
  synced_pair s(1000);
  ASSERT_TRUE(s.start());
  node& p = s.p;
  node& cand = s.cand;
  agents& a = s.a;
  consume(p, "cdc");

  // Rows 1..100 consumed (confirmed) on the old primary, 101..200 not.
  p.exec("INSERT INTO t SELECT generate_series(1, 100)", "app");
  EXPECT_EQ(consume(p, "cdc").size(), 100u);
  p.exec("INSERT INTO t SELECT generate_series(101, 200)", "app");
  cand.wait_replay(p.current_lsn());
  // PostgreSQL's slotsync brings the standby's slot to the primary's
  // confirmed position.
  auto confirmed = slot_attr(p, "cdc", "confirmed_flush_lsn").value();
  ASSERT_TRUE(eventually([&] {
    auto have = slot_attr(cand, "cdc", "confirmed_flush_lsn");
    return have && cand.scalar("SELECT '" + confirmed + "'::pg_lsn <= '" + *have + "'::pg_lsn") == "t";
  }, 60s)) << a.status("node2").dump(2);
  EXPECT_TRUE(a.wait_ready("node2"));

  auto reply = s.switch_over();
  ASSERT_EQ(reply.refused, actors::refusal::none) << reply.error;
  EXPECT_EQ(std::set<std::string>(reply.ready.begin(), reply.ready.end()), (std::set<std::string>{"cdc"}));
  EXPECT_TRUE(reply.unsafe.empty());
  // The HA manager drops the old primary from the view: the new primary
  // then waits for nobody (a listed, never-confirming slot would hold the
  // failover slot's consumer back).
  auto members = s.view.members;
  members.erase("node1");
  ASSERT_TRUE(update_members_until(a, "node2", members, cand, ""));

  cand.exec("INSERT INTO t SELECT generate_series(201, 250)", "app");
  auto got = consume(cand, "cdc");
  for (int id = 101; id <= 250; ++id)
    EXPECT_TRUE(got.contains(id)) << "lost change for id " << id;
  for (int id : got)
    EXPECT_GT(id, 100) << "changes confirmed before the failover came again";
  // The slot is the new primary's own: not created again, not dropped.
  EXPECT_EQ(slot_attr(cand, "cdc", "failover"), "true");
}

// After a switchover the former primary keeps its failover slot with
// synced = false, and PostgreSQL's slotsync worker refuses to overwrite a
// slot of the same name. The demoted node's agent drops it (not while
// paused), then PostgreSQL syncs it from the new primary; the agent never
// copies it.
TEST(failover_slots, demoted_primary_drops_its_unsynced_failover_slot_for_slotsync) {
  if (skip_before_17())
    GTEST_SKIP() << "failover slots need PostgreSQL 17+, this is " << pg_install::current().major;
  synced_pair s(1);
  ASSERT_TRUE(s.start());
  node& p = s.p;
  node& cand = s.cand;
  agents& a = s.a;

  // Switchover to node2; node1 follows it, its agent paused at first.
  auto reply = s.switch_over();
  ASSERT_EQ(reply.refused, actors::refusal::none) << reply.error;
  ASSERT_EQ(a.pause("node1", true), true);
  p.follow(cand);
  auto demoted = a.demote("node1", "node2");
  ASSERT_EQ(demoted.refused, actors::refusal::none) << demoted.error;
  ASSERT_TRUE(eventually([&] { return a.status("node1")["role"] == "replica"; })) << a.status("node1").dump(2);

  // Paused: the former primary's own slot stays, and slotsync cannot take
  // it over.
  EXPECT_EQ(slot_attr(p, "cdc", "failover"), "true");
  EXPECT_EQ(slot_attr(p, "cdc", "synced"), "false");
  for (int i = 0; i < 6; ++i) { // 3 s: three cycles
    nudge(cand, "cdc", s.next_id);
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_EQ(slot_attr(p, "cdc", "synced"), "false") << a.dump("node1").dump(2);
  bool ready = true;
  a.readiness("node1", &ready);
  EXPECT_FALSE(ready);

  // Resumed: dropped by the agent, then synced by PostgreSQL and ready.
  ASSERT_EQ(a.pause("node1", false), false);
  EXPECT_TRUE(eventually([&] {
    nudge(cand, "cdc", s.next_id);
    a.readiness("node1", &ready);
    return slot_attr(p, "cdc", "synced") == "true" && ready;
  }, 90s)) << a.dump("node1").dump(2) << "\nslot: " << slot_attr(p, "cdc", "synced").value_or("none");
  EXPECT_EQ(slot_attr(p, "cdc", "failover"), "true");
  EXPECT_EQ(a.dump("node1")["ha_loop"]["copies"], 0) << "slotsync's slot, never copied by the agent";
  EXPECT_EQ(a.dump("node1")["ha_loop"]["restarts"], 0);
}

namespace {

// Changes of `slot` consumed on `n` within `timeout`; nullopt when the
// consumer is held back that long (synchronized_standby_slots waits for a
// listed standby) and the statement is cancelled.
std::optional<std::set<int>> consume_within(node& n, const std::string& slot, const std::string& timeout) {
  try {
    auto r = n.query("SET statement_timeout = '" + timeout + "'; SELECT data FROM pg_logical_slot_get_changes('" +
                         slot + "', NULL, NULL)",
                     "app");
    auto ids = decoded_ids(r);
    return std::set<int>(ids.begin(), ids.end());
  } catch (const harness_error& e) {
    if (std::string(e.what()).find("statement timeout") == std::string::npos)
      throw;
    return std::nullopt;
  }
}

// Points a standby's walreceiver nowhere (it stays up, no longer streams),
// or back at `conninfo`.
void set_primary_conninfo(node& standby, const std::string& conninfo) {
  standby.exec("ALTER SYSTEM SET primary_conninfo = '" + conninfo + "'");
  standby.exec("SELECT pg_reload_conf()");
}

bool has_alert(const json& status, const std::string& words) {
  for (auto& al : status["alerts"])
    if (al.value("alert", "").find(words) != std::string::npos)
      return true;
  return false;
}

double metric(agents& a, const std::string& agent, const std::string& name) {
  for (auto& s : parse_exposition(a.metrics(agent)).samples)
    if (s.name == name)
      return s.value;
  return -1;
}

} // namespace

// One of two replicas stops streaming (up, walreceiver pointed nowhere):
// the primary leaves its slot out of synchronized_standby_slots, so the
// failover slot's consumers keep flowing, and that replica says it is not
// ready at once. It comes back once it streams again. With both replicas
// gone, failover_slots.min_standbys (default 1) keeps one listed: the
// consumers wait rather than get ahead of every standby.
TEST(failover_slots, a_replica_that_stops_streaming_is_left_out_and_consumers_keep_flowing) {
  if (skip_before_17())
    GTEST_SKIP() << "failover slots need PostgreSQL 17+, this is " << pg_install::current().major;
  trio x;
  auto& p = x.p;
  auto& a = x.a;
  auto& next_id = x.next_id;
  ASSERT_TRUE(x.start());
  bool ready = false;
  ASSERT_TRUE(eventually([&] {
    nudge(p, "cdc", next_id);
    a.readiness("node2", &ready);
    return ready;
  }, 90s)) << a.readiness("node2").dump(2);
  const std::string r1_conninfo = x.r1.scalar("SHOW primary_conninfo").value();
  const std::string r2_conninfo = x.r2.scalar("SHOW primary_conninfo").value();
  const std::string nowhere = "host=127.0.0.1 port=1 user=postgres dbname=postgres connect_timeout=1";

  // node3 stops streaming. Its agent says it is not ready while the primary
  // still waits for it (leave_out_after, 5 s here); then it is left out,
  // and the consumer is not held back.
  set_primary_conninfo(x.r2, nowhere);
  json rd;
  EXPECT_TRUE(eventually([&] {
    rd = a.readiness("node3", &ready);
    return !ready && rd.value("reason", "").starts_with("not streaming from the leader");
  })) << rd.dump(2);
  EXPECT_EQ(p.scalar("SHOW synchronized_standby_slots"), "node2,node3")
      << "left out before its agent said it is not ready";
  EXPECT_TRUE(eventually([&] { return p.scalar("SHOW synchronized_standby_slots") == "node2"; }, 30s))
      << a.status("node1").dump(2);
  EXPECT_TRUE(eventually([&] { return a.status("node1")["failover"]["left_out"] == json::array({"node3"}); }))
      << a.status("node1").dump(2);
  p.exec("INSERT INTO t SELECT generate_series(1001, 1010)", "app");
  auto got = consume_within(p, "cdc", "10s");
  ASSERT_TRUE(got) << "the consumer stalls on a replica that no longer streams: " << a.status("node1").dump(2);
  for (int id = 1001; id <= 1010; ++id)
    EXPECT_TRUE(got->contains(id)) << id;
  EXPECT_TRUE(eventually([&] {
    rd = a.readiness("node3", &ready);
    return !ready && rd.value("reason", "").starts_with("not in synchronized_standby_slots");
  })) << rd.dump(2);
  EXPECT_TRUE(a.readiness("node2", &ready)["ready"] == true) << a.readiness("node2").dump(2);
  EXPECT_TRUE(eventually([&] { return metric(a, "node1", "slotd_reduced_protection_seconds_total") > 0; }))
      << a.metrics("node1");
  EXPECT_TRUE(has_alert(a.status("node1"), "synchronized_standby_slots leaves out node3")) << a.status("node1").dump(2);

  // node2 too: min_standbys keeps one listed (the one already listed), and
  // the consumer waits.
  set_primary_conninfo(x.r1, nowhere);
  EXPECT_TRUE(eventually([&] { return a.status("node1")["failover"]["streaming"] == json::array(); }, 30s))
      << a.status("node1").dump(2);
  for (int i = 0; i < 3; ++i) { // three cycles: the setting stays
    std::this_thread::sleep_for(1s);
    EXPECT_EQ(p.scalar("SHOW synchronized_standby_slots"), "node2") << a.status("node1").dump(2);
  }
  p.exec("INSERT INTO t SELECT generate_series(1011, 1020)", "app");
  EXPECT_FALSE(consume_within(p, "cdc", "3s")) << "no standby has the changes: the consumer must wait";

  // Both stream again: both listed, node3 ready again, the consumer gets
  // what it waited for.
  set_primary_conninfo(x.r1, r1_conninfo);
  set_primary_conninfo(x.r2, r2_conninfo);
  EXPECT_TRUE(eventually([&] { return p.scalar("SHOW synchronized_standby_slots") == "node2,node3"; }, 60s))
      << a.status("node1").dump(2);
  got = consume_within(p, "cdc", "30s");
  ASSERT_TRUE(got) << a.status("node1").dump(2);
  for (int id = 1011; id <= 1020; ++id)
    EXPECT_TRUE(got->contains(id)) << id;
  EXPECT_TRUE(eventually([&] {
    nudge(p, "cdc", next_id);
    a.readiness("node3", &ready);
    return ready;
  }, 90s)) << a.readiness("node3").dump(2);
  EXPECT_TRUE(eventually([&] { return a.status("node1")["failover"]["left_out"] == json::array(); }))
      << a.status("node1").dump(2);
  // The audit trail has each change of the setting, from and to, by rule.
  std::vector<std::string> changes;
  const json events = a.events("node1")["events"]; // a copy: the range must outlive the loop
  for (auto& e : events)
    if (e["action"] == "standby_slots_change") {
      EXPECT_EQ(e["rule"], "§4.8 PostgreSQL 17+ failover slots");
      changes.push_back(e["detail"].get<std::string>());
    }
  ASSERT_GE(changes.size(), 2u);
  EXPECT_NE(std::find(changes.begin(), changes.end(), "from 'node2,node3' to 'node2'"), changes.end())
      << ::testing::PrintToString(changes);
  EXPECT_TRUE(changes.back().ends_with(" to 'node2,node3'")) << ::testing::PrintToString(changes);
}

// A replica the primary left out (it did not stream), promoted after the
// consumers went past it: the promote reply lists the failover slot unsafe,
// with the reason, and /readiness said no beforehand.
TEST(failover_slots, a_replica_promoted_after_it_was_left_out_lists_its_failover_slot_unsafe) {
  if (skip_before_17())
    GTEST_SKIP() << "failover slots need PostgreSQL 17+, this is " << pg_install::current().major;
  trio x;
  auto& p = x.p;
  auto& a = x.a;
  ASSERT_TRUE(x.start());

  set_primary_conninfo(x.r2, "host=127.0.0.1 port=1 user=postgres dbname=postgres connect_timeout=1");
  ASSERT_TRUE(eventually([&] { return p.scalar("SHOW synchronized_standby_slots") == "node2"; }, 30s))
      << a.status("node1").dump(2);
  // The consumer goes past node3: rows it never received.
  p.exec("INSERT INTO t SELECT generate_series(2001, 2010)", "app");
  ASSERT_TRUE(consume_within(p, "cdc", "10s")) << a.status("node1").dump(2);
  bool ready = true;
  ASSERT_TRUE(eventually([&] {
    auto rd = a.readiness("node3", &ready);
    return !ready && rd.value("reason", "").starts_with("not in synchronized_standby_slots");
  })) << a.readiness("node3").dump(2);

  // The primary goes; the HA manager promotes node3 anyway.
  p.stop_fast();
  auto reply = a.promote("node3");
  ASSERT_EQ(reply.refused, actors::refusal::none) << reply.error;
  EXPECT_EQ(reply.unsafe, std::vector<std::string>{"cdc"}) << ::testing::PrintToString(reply.ready);
  EXPECT_TRUE(reply.reasons["cdc"].starts_with("not in synchronized_standby_slots")) << reply.reasons["cdc"];
}
