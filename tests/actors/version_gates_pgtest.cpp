// Version gates on real servers (docs/slot-rules.md §2.6).
#include "tests/actors/agent_fixture.hpp"

#include <fstream>
#include <functional>

using namespace slotd;
using namespace slotd::testing;

// 13+ (docs/slot-rules.md §3.13 rule 2): a desired slot whose WAL was removed
// (wal_status = lost) is dropped and created again; while paused it is kept.
TEST(version_gates, lost_slot_is_recreated_on_13_and_later) {
  if (pg_install::current().major < 13)
    GTEST_SKIP() << "wal_status exists from PostgreSQL 13";
  cluster_options co;
  co.replicas = 0;
  co.extra_conf = "max_slot_wal_keep_size = 1MB\nmax_wal_size = 64MB\nmin_wal_size = 32MB\n";
  cluster c(co);
  auto& p = c.primary();
  p.exec("CREATE TABLE t (pad text)", "app");
  auto view = view_of(c, {physical_slot("archiver")});
  agents a;
  a.start(p, view);
  auto status = [&] {
    return p.scalar("SELECT coalesce(wal_status, 'none') FROM pg_replication_slots WHERE slot_name = 'archiver'");
  };
  ASSERT_TRUE(eventually([&] { return status() == "reserved"; })) << a.dump("node1").dump(2);

  // Hands off while the slot loses its WAL: a paused agent drops nothing.
  ASSERT_EQ(a.pause("node1", true), true);
  for (int i = 0; i < 6 && status() != "lost"; ++i) {
    p.exec("INSERT INTO t SELECT repeat('x', 1000) FROM generate_series(1, 20000)", "app");
    p.exec("SELECT pg_switch_wal()");
    p.exec("CHECKPOINT");
  }
  ASSERT_EQ(status(), "lost") << "the test needs the slot invalidated";
  std::this_thread::sleep_for(1500ms); // more than one cycle (loop_wait 1s)
  EXPECT_EQ(status(), "lost") << "paused: the lost slot is kept";

  ASSERT_EQ(a.pause("node1", false), false);
  EXPECT_TRUE(eventually([&] { return status() == "reserved"; }))
      << "the lost slot is dropped and created again: " << a.dump("node1").dump(2);
  EXPECT_TRUE(p.scalar("SELECT restart_lsn IS NOT NULL FROM pg_replication_slots WHERE slot_name = 'archiver'") ==
              "t");
}

namespace {

// Nothing protects a copy's catalog rows on the primary: the replica runs
// without hot_standby_feedback. Table t on the primary.
void without_feedback(cdc_pair& x) {
  x.r.exec("ALTER SYSTEM SET hot_standby_feedback = off");
  x.r.exec("SELECT pg_reload_conf()");
  x.p.exec("CREATE TABLE t (id int)", "app");
}

// These gates are about file copies (on 16 auto may create them).
agent_options file_copies() {
  agent_options o;
  o.copy_method = model::copy_method_setting::file;
  return o;
}

// The replica's copy of `slot` as PostgreSQL sees it: "conflicting" (16+),
// wal_status, confirmed_flush_lsn; nullopt when it does not exist.
std::optional<std::string> standby_slot_state(const node& n, const std::string& slot) {
  return n.scalar("SELECT conflicting::text || ' ' || coalesce(wal_status, '-') || ' ' || "
                  "coalesce(confirmed_flush_lsn::text, '-') FROM pg_replication_slots WHERE slot_name = '" +
                  slot + "'");
}

// Catalog rows the replica's copy of `slot` still needs are removed on the
// primary: with replay paused on the replica (so the agent cannot advance
// the copy), a table is created and dropped, the primary's slot is consumed
// past the drop so its catalog_xmin no longer protects those rows, and
// pg_class is vacuumed. Replaying the prune record then conflicts with the
// copy (hot_standby_feedback is off on the replica).
void remove_catalog_rows_under(node& primary, node& replica, const std::string& slot) {
  replica.exec("SELECT pg_wal_replay_pause()");
  primary.exec("CREATE TABLE churn (id int)", "app");
  auto drop_xid = primary.scalar("DROP TABLE churn; SELECT pg_current_xact_id()::text", "app").value();
  // The slot's catalog_xmin moves once decoding has seen a running-xacts
  // record after the drop: log one and consume, until it has moved.
  for (int i = 0; i < 50; ++i) {
    primary.exec("SELECT pg_log_standby_snapshot()");
    primary.query("SELECT 1 FROM pg_logical_slot_get_changes('" + slot + "', NULL, NULL)", "app");
    if (primary.scalar("SELECT catalog_xmin::text::bigint > " + drop_xid +
                       " FROM pg_replication_slots WHERE slot_name = '" + slot + "'") == "t")
      break;
    std::this_thread::sleep_for(50ms);
  }
  primary.exec("VACUUM pg_class, pg_attribute, pg_type", "app");
  primary.exec("SELECT pg_switch_wal()");
  replica.exec("SELECT pg_wal_replay_resume()");
}

bool slot_alert(const json& status, const std::string& slot) {
  for (auto& a : status["alerts"])
    if (a.value("slot", "") == slot)
      return true;
  return false;
}

// Once a re-copy was refused: three cycles later node2 has had `restarts`
// copies and restarts and no more, cdc is still refused, and /status alerts
// about it.
void expect_refused_without_restarts(cdc_pair& x, int restarts) {
  std::this_thread::sleep_for(3s); // three cycles (loop_wait 1s)
  auto d = x.loop();
  EXPECT_EQ(d["copies"], restarts) << d.dump(2);
  EXPECT_EQ(d["restarts"], restarts) << "no restart after the refusal";
  EXPECT_EQ(d["recopy_refused"], json::array({"cdc"}));
  auto st = x.a.status("node2");
  EXPECT_TRUE(slot_alert(st, "cdc")) << st.dump(2);
}

} // namespace

// 16+ (docs/slot-rules.md §4.5, §7 patroni#3150): a replica's copy of a logical slot
// invalidated by a recovery conflict is copied again from the leader, one
// restart per invalidation; after 3 re-copies within an hour it is not
// copied again and an alert names the cause, so the replica does not
// restart in a loop.
TEST(version_gates, conflict_invalidated_standby_slot_is_recopied_without_a_restart_storm) {
  if (pg_install::current().major < 16)
    GTEST_SKIP() << "standby logical slots are invalidated by recovery conflicts from PostgreSQL 16";
  cdc_pair x;
  node& p = x.p;
  node& r = x.r;
  agents& a = x.a;
  without_feedback(x);
  x.start(file_copies());
  auto settled = [&](int restarts, std::chrono::seconds within = 30s) {
    return eventually(
        [&] {
          auto d = x.loop();
          return d["restarts"] == restarts && d["restarting"] == false && standby_slot_state(r, "cdc").has_value() &&
                 standby_slot_state(r, "cdc")->starts_with("false ");
        },
        within);
  };
  ASSERT_TRUE(settled(1, 60s)) << "first copy: " << x.loop().dump(2)
                               << "\nslot on node2: " << standby_slot_state(r, "cdc").value_or("none");

  // Three invalidations: three re-copies, one restart each.
  // The advance worker may move the copy's catalog_xmin past the removed
  // rows before the replica replays their removal (then nothing conflicts):
  // rows are removed again until the copy is invalidated.
  auto invalidate = [&](const std::function<bool()>& invalidated) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      remove_catalog_rows_under(p, r, "cdc");
      if (invalidated())
        return true;
    }
    return false;
  };
  for (int round = 1; round <= 3; ++round) {
    ASSERT_TRUE(invalidate([&] { return settled(1 + round); }))
        << "round " << round << ": " << x.loop().dump(2)
        << "\nslot on node2: " << standby_slot_state(r, "cdc").value_or("none");
    EXPECT_EQ(x.loop()["copies"], 1 + round);
  }
  EXPECT_FALSE(slot_alert(a.status("node2"), "cdc")) << a.status("node2").dump(2);

  // The fourth within the hour is refused: the slot stays invalidated, the
  // server is not restarted again, and /status says why.
  ASSERT_TRUE(invalidate([&] { return eventually([&] { return !x.loop()["recopy_refused"].empty(); }, 15s); }))
      << x.loop().dump(2) << "\nslot on node2: " << standby_slot_state(r, "cdc").value_or("none");
  expect_refused_without_restarts(x, 4);
  EXPECT_TRUE(standby_slot_state(r, "cdc").value_or("none").starts_with("true ")) << "kept, still invalidated";
  bool ready = true;
  a.readiness("node2", &ready);
  EXPECT_FALSE(ready);
}

// 16+ with copy_method create (auto on 16): a copy invalidated by a
// recovery conflict is dropped and created again in place, with no restart.
TEST(version_gates, conflict_invalidated_created_copy_is_created_again_without_a_restart) {
  if (pg_install::current().major < 16)
    GTEST_SKIP() << "standby logical slots are invalidated by recovery conflicts from PostgreSQL 16";
  cdc_pair x;
  node& p = x.p;
  node& r = x.r;
  without_feedback(x);
  p.exec("SELECT pg_create_logical_replication_slot('cdc', 'test_decoding')", "app");
  agent_options o;
  o.copy_method = model::copy_method_setting::create;
  x.start(o);
  auto valid_copy = [&] { return standby_slot_state(r, "cdc").value_or("none").starts_with("false "); };
  ASSERT_TRUE(eventually([&] { return valid_copy() && x.loop()["created_copies"] == 1; }, 60s)) << x.loop().dump(2);
  auto started = started_at(r);
  bool recreated = false;
  for (int attempt = 0; attempt < 3 && !recreated; ++attempt) {
    remove_catalog_rows_under(p, r, "cdc");
    recreated = eventually([&] { return x.loop()["created_copies"] >= 2 && valid_copy(); }, 20s);
  }
  ASSERT_TRUE(recreated) << x.loop().dump(2) << "\nslot on node2: " << standby_slot_state(r, "cdc").value_or("none");
  EXPECT_EQ(started_at(r), started) << "the replica was restarted";
  EXPECT_EQ(x.loop()["restarts"], 0);
  // Counted toward the re-copy limit in state_dir, as a restart would be:
  // a restarted agent keeps the count.
  auto history = fs::path(r.data_dir().string() + ".slotd") / "recopies";
  EXPECT_TRUE(eventually([&] {
    std::ifstream in(history);
    std::string slot;
    return in >> slot && slot == "cdc";
  }, 10s)) << "no re-copy recorded in " << history;
}

// 13+ (docs/slot-rules.md §4.5): a replica's copy whose WAL the replica removed
// (max_slot_wal_keep_size there) is lost, and so is every new copy while the
// primary's slot stays where it was: the agent copies it again at most 3
// times within the hour, then stops restarting the replica and says why.
TEST(version_gates, copy_without_wal_on_the_replica_is_recopied_at_most_3_times) {
  if (pg_install::current().major < 13)
    GTEST_SKIP() << "max_slot_wal_keep_size and wal_status exist from PostgreSQL 13";
  cdc_pair x({.replicas = 1, .extra_conf = "max_wal_size = 64MB\nmin_wal_size = 32MB\n"});
  node& p = x.p;
  node& r = x.r;
  r.exec("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'");
  r.exec("SELECT pg_reload_conf()");
  p.exec("CREATE TABLE t (pad text)", "app");
  x.start(file_copies());
  ASSERT_TRUE(eventually([&] { return x.loop()["copies"] >= 1 && x.loop()["restarting"] == false; }, 60s))
      << x.loop().dump(2);

  // Nobody consumes cdc on the primary, so the copy cannot move; the replica
  // removes the WAL it needs at its restartpoints.
  auto wal_status = [&] {
    return r.scalar("SELECT coalesce(wal_status, '-') FROM pg_replication_slots WHERE slot_name = 'cdc'")
        .value_or("none");
  };
  // Each new copy starts where the primary's slot is, so it is lost again
  // at the next restartpoint: three re-copies (one restart each), then
  // refused for the hour.
  for (int i = 0; i < 15 && x.loop()["recopy_refused"].empty(); ++i) {
    p.exec("INSERT INTO t SELECT repeat('x', 1000) FROM generate_series(1, 20000)", "app");
    p.exec("SELECT pg_switch_wal()");
    p.exec("CHECKPOINT");
    r.wait_replay(p.current_lsn());
    r.exec("CHECKPOINT");
    eventually([&] { return x.loop()["restarting"] == false && wal_status() != "lost"; }, 3s);
  }
  ASSERT_FALSE(x.loop()["recopy_refused"].empty()) << x.loop().dump(2) << "\ncdc on node2: " << wal_status();
  expect_refused_without_restarts(x, 4);
  EXPECT_TRUE(r.scalar("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'cdc'") == "1")
      << "kept, not dropped";
}
