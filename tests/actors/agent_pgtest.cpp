// Whole agents against real clusters: docs/design.md §1 per role,
// docs/slot-rules.md rules.
#include <libpq-fe.h>

#include <set>

#include "tests/actors/agent_fixture.hpp"

using namespace slotd;
using namespace slotd::testing;

namespace {

// A walsender streaming a logical slot keeps it active while this lives.
class streaming_consumer {
public:
  streaming_consumer(const node& n, const std::string& db, const std::string& slot) {
    auto ci = "host=127.0.0.1 port=" + std::to_string(n.port()) + " user=postgres dbname=" + db +
              " replication=database";
    conn_ = PQconnectdb(ci.c_str());
    if (PQstatus(conn_) != CONNECTION_OK)
      throw harness_error(PQerrorMessage(conn_));
    auto sql = "START_REPLICATION SLOT " + slot + " LOGICAL 0/0";
    PGresult* r = PQexec(conn_, sql.c_str());
    auto st = PQresultStatus(r);
    PQclear(r);
    if (st != PGRES_COPY_BOTH)
      throw harness_error("START_REPLICATION failed: " + std::string(PQerrorMessage(conn_)));
  }
  ~streaming_consumer() { PQfinish(conn_); }

private:
  PGconn* conn_;
};

// Inserted ids in pgoutput (protocol 1) binary output: 'I', relid, 'N',
// ncols, then 't', len, text per column. `data` is bytea in hex ("\x49...").
std::vector<int> pgoutput_ids(const rows& changes) {
  std::vector<int> ids;
  for (auto& r : changes) {
    const std::string& hex = *r[0];
    std::string bytes;
    for (std::size_t i = 2; i + 1 < hex.size(); i += 2)
      bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    if (bytes.empty() || bytes[0] != 'I')
      continue;
    // 'I'(1) relid(4) 'N'(1) ncols(2) 't'(1) len(4) value
    if (bytes.size() < 13 || bytes[5] != 'N' || bytes[8] != 't')
      continue;
    auto len = (static_cast<unsigned char>(bytes[9]) << 24) | (static_cast<unsigned char>(bytes[10]) << 16) |
               (static_cast<unsigned char>(bytes[11]) << 8) | static_cast<unsigned char>(bytes[12]);
    ids.push_back(std::stoi(bytes.substr(13, static_cast<std::size_t>(len))));
  }
  return ids;
}

} // namespace

// docs/design.md §1 primary: permanent logical and physical slots and member
// slots are created; an unknown inactive slot is dropped; an ignored one and
// an active one are kept; a slot whose plugin changed is recreated.
TEST(agent_primary, creates_drops_keeps_and_recreates) {
  cluster c({.replicas = 1});
  auto& p = c.primary();
  p.exec("SELECT pg_create_physical_replication_slot('stray', true)");
  p.exec("SELECT pg_create_physical_replication_slot('adhoc', true)");
  p.exec("SELECT pg_create_logical_replication_slot('busy', 'test_decoding')", "app");
  streaming_consumer consumer(p, "app", "busy");
  ASSERT_EQ(slot_attr(p, "busy", "active::text"), "true");

  auto view = view_of(c, {logical_slot("cdc", "app", "test_decoding"), physical_slot("archiver")});
  view.ignore_slots.push_back({.name = "adhoc"});
  agents a;
  a.start(p, view);

  ASSERT_TRUE(eventually([&] {
    auto s = slots_of(p);
    return s.contains("cdc") && s.contains("archiver") && !s.contains("stray");
  })) << a.dump("node1").dump(2);
  auto s = slots_of(p);
  EXPECT_EQ(s["cdc"][1], "logical");
  EXPECT_EQ(s["cdc"][2], "app");
  EXPECT_EQ(s["cdc"][3], "test_decoding");
  EXPECT_EQ(s["archiver"][1], "physical");
  EXPECT_TRUE(s["archiver"][6].has_value()) << "a permanent physical slot reserves WAL at once";
  EXPECT_TRUE(s.contains("node2")) << "the replica's member slot stays";
  EXPECT_TRUE(s.contains("adhoc")) << "ignored slots are never dropped";
  EXPECT_TRUE(s.contains("busy")) << "active slots are never dropped";
  EXPECT_EQ(a.status("node1")["role"], "primary");

  // The plugin of cdc changes: the old slot is dropped and created anew.
  config::cluster_update u;
  u.slots = std::map<std::string, model::permanent_slot>{{"cdc", logical_slot("cdc", "app", "pgoutput")},
                                                         {"archiver", physical_slot("archiver")}};
  auto r = a.update("node1", u);
  ASSERT_EQ(r.refused, actors::refusal::none) << r.error;
  EXPECT_TRUE(eventually([&] { return slot_attr(p, "cdc", "plugin") == "pgoutput"; })) << a.dump("node1").dump(2);
  EXPECT_TRUE(slots_of(p).contains("busy"));
}

// docs/design.md §1 replica: the permanent logical slot is copied (one
// restart), then advanced as a consumer on the primary advances: never past
// the replica's replay LSN, never backwards. Readiness follows feedback.
TEST(agent_replica, copies_once_then_advances_and_becomes_ready) {
  cdc_pair x;
  node& p = x.p;
  node& r = x.r;
  agents& a = x.a;
  p.exec("CREATE TABLE t (id int primary key)", "app");
  x.start(p);
  ASSERT_TRUE(eventually([&] { return slots_of(p).contains("cdc"); }));
  auto replica_pid = r.postmaster_pid();
  x.start(r);

  ASSERT_TRUE(eventually([&] { return a.dump("node2")["ha_loop"]["copies"] == 1; }, 60s))
      << a.dump("node2").dump(2);
  ASSERT_TRUE(r.running());
  ASSERT_TRUE(slots_of(r).contains("cdc"));
  EXPECT_NE(r.postmaster_pid(), replica_pid) << "the copy restarts the replica";
  auto d = a.dump("node2");
  EXPECT_EQ(d["ha_loop"]["restarts"], 1) << d.dump(2);
  EXPECT_EQ(d["ha_loop"]["copies"], 1);
  EXPECT_EQ(slot_attr(r, "cdc", "plugin"), "test_decoding");

  EXPECT_TRUE(a.wait_ready("node2")) << a.readiness("node2").dump(2);

  // A consumer advances on the primary; the copy follows.
  std::string last_cf = slot_attr(r, "cdc", "confirmed_flush_lsn").value();
  for (int round = 0; round < 5; ++round) {
    p.exec("INSERT INTO t SELECT g FROM generate_series(" + std::to_string(round * 100 + 1) + ", " +
               std::to_string(round * 100 + 100) + ") g",
           "app");
    p.exec("SELECT count(*) FROM pg_logical_slot_get_changes('cdc', NULL, NULL)", "app");
    auto primary_cf = slot_attr(p, "cdc", "confirmed_flush_lsn").value();
    ASSERT_TRUE(eventually([&] {
      auto row = r.query("SELECT confirmed_flush_lsn::text, pg_last_wal_replay_lsn()::text FROM pg_replication_slots "
                         "WHERE slot_name = 'cdc'");
      auto cf = row.at(0)[0].value();
      auto replay = row.at(0)[1].value();
      EXPECT_TRUE(lsn_le(p, cf, replay)) << "copy " << cf << " passed replay " << replay;
      EXPECT_TRUE(lsn_le(p, last_cf, cf)) << "copy moved backwards from " << last_cf << " to " << cf;
      last_cf = cf;
      return lsn_le(p, primary_cf, cf);
    }, 20s)) << "round " << round << ": " << a.dump("node2").dump(2);
  }
  EXPECT_EQ(a.dump("node2")["ha_loop"]["restarts"], 1) << "advances never restart the replica";
  auto st = a.status("node2");
  EXPECT_EQ(st["role"], "replica");
  EXPECT_EQ(st["leader"], "node1");
  EXPECT_EQ(st["slots"]["cdc"]["ready"], true);
}

// docs/design.md §1 promote + docs/slot-rules.md §4: a consumer on the old
// primary, a failover to the replica, and the consumer re-attached to the new
// primary receives every change it had not confirmed (test_decoding and
// pgoutput).
TEST(agent_failover, consumer_loses_nothing) {
  cluster c({.replicas = 2});
  auto& p = c.primary();
  auto& cand = c.replica(0);
  auto& other = c.replica(1);
  p.exec("CREATE TABLE t (id int primary key)", "app");
  p.exec("CREATE PUBLICATION pub FOR TABLE t", "app");
  auto view = view_of(c, {logical_slot("cdc", "app", "test_decoding"), logical_slot("cdc_pgo", "app", "pgoutput")});
  agents a;
  for (std::size_t i = 0; i < c.size(); ++i)
    a.start(c.at(i), view);
  ASSERT_TRUE(a.wait_ready("node2")) << a.readiness("node2").dump(2);
  // node3's copies are done too: a copy restarts its server, which must not
  // race with the harness restarting it in follow() below.
  ASSERT_TRUE(a.wait_ready("node3")) << a.readiness("node3").dump(2);

  auto consume_td = [&](node& n) { return decoded_ids(n.query("SELECT data FROM pg_logical_slot_get_changes('cdc', NULL, NULL)", "app")); };
  auto consume_pgo = [&](node& n) {
    return pgoutput_ids(n.query("SELECT data FROM pg_logical_slot_get_binary_changes('cdc_pgo', NULL, NULL, "
                                "'proto_version', '1', 'publication_names', 'pub')",
                                "app"));
  };
  // Rows 1..100 consumed (confirmed) on the old primary, 101..200 not.
  p.exec("INSERT INTO t SELECT generate_series(1, 100)", "app");
  EXPECT_EQ(consume_td(p).size(), 100u);
  EXPECT_EQ(consume_pgo(p).size(), 100u);
  p.exec("INSERT INTO t SELECT generate_series(101, 200)", "app");
  auto final_lsn = p.current_lsn();
  cand.wait_replay(final_lsn);
  // The candidate's copies catch up with the primary's confirmed position.
  auto cf_td = slot_attr(p, "cdc", "confirmed_flush_lsn").value();
  auto cf_pgo = slot_attr(p, "cdc_pgo", "confirmed_flush_lsn").value();
  ASSERT_TRUE(eventually([&] {
    return lsn_le(p, cf_td, slot_attr(cand, "cdc", "confirmed_flush_lsn").value()) &&
           lsn_le(p, cf_pgo, slot_attr(cand, "cdc_pgo", "confirmed_flush_lsn").value());
  })) << a.dump("node2").dump(2);

  // Switchover: the old primary stops first, then promote via slotd, then
  // the server.
  p.stop_fast();
  auto reply = a.promote("node2");
  ASSERT_EQ(reply.refused, actors::refusal::none) << reply.error;
  EXPECT_EQ(reply.role, "primary");
  EXPECT_EQ(std::set<std::string>(reply.ready.begin(), reply.ready.end()),
            (std::set<std::string>{"cdc", "cdc_pgo"}));
  EXPECT_TRUE(reply.unsafe.empty());
  EXPECT_TRUE(reply.advanced.contains("cdc"));
  cand.promote();
  EXPECT_TRUE(eventually([&] { return a.status("node2")["role"] == "primary"; }));
  auto demoted = a.demote("node3", "node2");
  EXPECT_EQ(demoted.refused, actors::refusal::none) << demoted.error;
  other.follow(cand);

  cand.exec("INSERT INTO t SELECT generate_series(201, 250)", "app");
  auto td = consume_td(cand);
  auto pgo = consume_pgo(cand);
  for (auto* ids : {&td, &pgo}) {
    std::set<int> got(ids->begin(), ids->end());
    for (int id = 101; id <= 250; ++id)
      EXPECT_TRUE(got.contains(id)) << "lost change for id " << id;
    for (int id : *ids)
      EXPECT_GT(id, 100) << "changes confirmed before the failover came again";
  }
  // The new primary keeps a slot for the other replica, which streams again.
  EXPECT_TRUE(eventually([&] { return slot_attr(cand, "node3", "active::text") == "true"; }))
      << a.dump("node2").dump(2);
  // Role is reported for the unknown member case.
  EXPECT_EQ(a.demote("node3", "nosuch").refused, actors::refusal::bad_request);
}

// Role auto: a replica whose WAL receiver is not connected when its agent
// starts does not know its leader: it is not ready (it has planned no
// copies). Once it streams, the agent finds the leader, copies, and is ready.
TEST(agent_replica, auto_role_finds_the_leader_once_the_replica_streams) {
  cdc_pair x;
  node& p = x.p;
  node& r = x.r;
  agents& a = x.a;
  x.start(p);
  ASSERT_TRUE(eventually([&] { return slot_attr(p, "cdc", "slot_name").has_value(); })) << a.dump("node1").dump(2);
  p.stop_fast();
  ASSERT_TRUE(eventually([&] { return r.scalar("SELECT count(*) FROM pg_stat_wal_receiver") == "0"; }));

  x.start(r);
  ASSERT_TRUE(eventually([&] { return a.status("node2")["role"] == "replica"; })) << a.status("node2").dump(2);
  std::this_thread::sleep_for(1500ms); // more than one cycle
  bool ready = true;
  auto rd = a.readiness("node2", &ready);
  EXPECT_FALSE(ready) << rd.dump(2);
  EXPECT_NE(rd.value("reason", "").find("leader is not known"), std::string::npos) << rd.dump(2);
  EXPECT_TRUE(a.status("node2")["leader"].is_null());

  p.start();
  EXPECT_TRUE(a.wait_ready("node2")) << a.readiness("node2").dump(2);
  EXPECT_EQ(a.status("node2")["leader"], "node1");
  EXPECT_TRUE(slot_attr(r, "cdc", "slot_name").has_value());
}

// An advance worker that ends abnormally does not end the agent: the HA
// loop starts a new one for that database, and the copy keeps advancing
// without a re-copy.
TEST(agent_replica, failed_advance_worker_is_replaced) {
  cdc_pair x;
  node& p = x.p;
  node& r = x.r;
  agents& a = x.a;
  p.exec("CREATE TABLE t (id int)", "app");
  x.start();
  ASSERT_TRUE(a.wait_ready("node2")) << a.readiness("node2").dump(2);
  // The worker for app starts with the first advance.
  auto consumed = [&] {
    p.exec("INSERT INTO t SELECT generate_series(1, 100)", "app");
    p.query("SELECT 1 FROM pg_logical_slot_get_changes('cdc', NULL, NULL)", "app");
    return slot_attr(p, "cdc", "confirmed_flush_lsn").value();
  };
  auto confirmed = consumed();
  actors::ha_helpers before;
  ASSERT_TRUE(eventually([&] {
    before = a.helpers_of("node2");
    return before.workers.size() == 1; // the worker for app
  })) << a.dump("node2").dump(2);
  caf::anon_send_exit(before.workers.back(), caf::exit_reason::kill);
  ASSERT_TRUE(eventually([&] { return a.dump("node2")["ha_loop"]["worker_failures"] == 1; }))
      << a.dump("node2").dump(2);

  // The slot still follows the primary's consumer.
  confirmed = consumed();
  EXPECT_TRUE(eventually([&] { return lsn_le(p, confirmed, slot_attr(r, "cdc", "confirmed_flush_lsn").value()); }))
      << a.dump("node2").dump(2);
  auto after = a.helpers_of("node2");
  ASSERT_EQ(after.workers.size(), 1u);
  EXPECT_NE(after.workers.back(), before.workers.back()) << "a new worker";
  EXPECT_EQ(after.copier, before.copier);
  auto d = a.dump("node2")["ha_loop"];
  EXPECT_EQ(d["workers"], json::array({"app"}));
  EXPECT_EQ(d["restarts"], 1) << "no re-copy";
  EXPECT_EQ(a.status("node2")["role"], "replica");
}

// A logical advance over a large WAL backlog (≥ 200 MB)
// runs on its worker; the HA loop keeps running its full cycles meanwhile.
// The measured period is printed; the assertion is deliberately loose (a
// loaded CI machine must not fail it): at least half of the expected full
// cycles happen.
TEST(agent_replica, large_backlog_advance_does_not_stall_the_loop) {
  cdc_pair x;
  node& p = x.p;
  node& r = x.r;
  agents& a = x.a;
  p.exec("CREATE TABLE big (id int, pad text)", "app");
  x.start();
  ASSERT_TRUE(a.wait_ready("node2")) << a.readiness("node2").dump(2);

  auto start_lsn = p.current_lsn();
  for (int i = 0; i < 4; ++i)
    p.exec("INSERT INTO big SELECT g, repeat('x', 1000) FROM generate_series(1, 50000) g", "app");
  auto end_lsn = p.current_lsn();
  auto backlog = std::stoll(p.scalar("SELECT pg_wal_lsn_diff('" + end_lsn + "', '" + start_lsn + "')").value());
  ASSERT_GE(backlog, 200ll * 1024 * 1024) << "the test needs a backlog of at least 200 MB";
  r.wait_replay(end_lsn, 120s);

  // The consumer on the primary jumps over the whole backlog at once.
  p.exec("SELECT pg_replication_slot_advance('cdc', '" + end_lsn + "')", "app");
  auto cycles_before = a.dump("node2")["ha_loop"]["cycles"].get<long>();
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return lsn_le(p, end_lsn, slot_attr(r, "cdc", "confirmed_flush_lsn").value()); },
                         120s))
      << a.dump("node2").dump(2);
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto cycles = a.dump("node2")["ha_loop"]["cycles"].get<long>() - cycles_before;
  double expected = elapsed / 1.0; // loop_wait 1 s
  std::printf("backlog %.0f MB advanced on the replica in %.2f s; %ld full cycles (expected ~%.1f), period %.0f ms\n",
              static_cast<double>(backlog) / (1024 * 1024), elapsed, cycles, expected,
              cycles > 0 ? elapsed * 1000 / static_cast<double>(cycles) : 0.0);
  EXPECT_GE(static_cast<double>(cycles), expected * 0.5 - 1);
  EXPECT_EQ(a.dump("node2")["ha_loop"]["restarts"], 1) << "no re-copy was needed";
}
