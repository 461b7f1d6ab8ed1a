// Copies created on the replica (postgresql.copy_method create; auto on 16,
// docs/slot-rules.md §2.3.24): no restart, and the copy is failover-ready
// only once the leader's slot has passed the copy's confirmed_flush_lsn.
// Real servers, 16 and later.
#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "tests/actors/agent_fixture.hpp"
#include "tests/actors/walsender_consumer.hpp"

namespace slotd::testing {
namespace {

agent_options creating() {
  agent_options o;
  o.copy_method = model::copy_method_setting::create;
  return o;
}

bool skip_before_16() { return pg_install::current().major < 16; }

std::vector<int> consume(node& n) {
  return decoded_ids(n.query("SELECT data FROM pg_logical_slot_get_changes('cdc', NULL, NULL)", "app"));
}

// Table t and slot cdc on the primary; with `unconsumed`, rows 1..10 its
// consumer has not read yet.
void cdc_on_primary(cdc_pair& x, bool unconsumed) {
  x.p.exec("CREATE TABLE t (id int primary key)", "app");
  x.p.exec("SELECT pg_create_logical_replication_slot('cdc', 'test_decoding')", "app");
  if (unconsumed)
    x.p.exec("INSERT INTO t SELECT generate_series(1, 10)", "app");
}

// Both agents creating copies, until node2's copy of cdc has a position.
void start_until_created(cdc_pair& x) {
  x.start(creating());
  ASSERT_TRUE(eventually([&] { return runs_with_slot(x.r, "cdc") && slot_attr(x.r, "cdc", "confirmed_flush_lsn"); },
                         90s))
      << x.loop().dump(2);
}

std::string readiness_reason(agents& a) {
  auto r = a.readiness("node2");
  return r["reasons"].value("cdc", std::string());
}

// A consumer far behind the primary: the copy is created where the replica
// is, past the primary slot's confirmed_flush_lsn. Not ready until the
// consumer catches up; then a failover to it loses nothing.
TEST(copy_create, a_copy_created_past_a_lagging_consumer_is_ready_only_once_the_leader_passes_it) {
  if (skip_before_16())
    GTEST_SKIP() << "logical decoding on a standby exists from PostgreSQL 16";
  cdc_pair x;
  node& p = x.p;
  node& r = x.r;
  agents& a = x.a;
  cdc_on_primary(x, true);
  auto started = started_at(r);
  ASSERT_NO_FATAL_FAILURE(start_until_created(x));
  auto leader_cf = slot_attr(p, "cdc", "confirmed_flush_lsn").value();
  auto copy_cf = slot_attr(r, "cdc", "confirmed_flush_lsn").value();
  EXPECT_EQ(p.scalar("SELECT '" + copy_cf + "'::pg_lsn > '" + leader_cf + "'::pg_lsn"), "t")
      << "copy " << copy_cf << ", leader " << leader_cf;

  // Not ready, with the reason, and it stays so while the consumer lags.
  ASSERT_TRUE(eventually([&] { return readiness_reason(a).starts_with("ahead of the leader's slot"); }, 30s))
      << a.readiness("node2").dump(2);
  for (int i = 0; i < 15; ++i) { // 3 s: never ready while the consumer lags
    bool ready = true;
    a.readiness("node2", &ready);
    ASSERT_FALSE(ready) << a.readiness("node2").dump(2);
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(started_at(r), started) << "the replica was restarted";
  auto l = x.loop();
  EXPECT_EQ(l["restarts"].get<long>(), 0) << l.dump(2);
  EXPECT_EQ(l["created_copies"].get<long>(), 1) << l.dump(2);

  // The consumer catches up: the leader's slot passes the copy.
  EXPECT_EQ(consume(p).size(), 10u);
  ASSERT_TRUE(a.wait_ready("node2", 60s)) << a.readiness("node2").dump(2);

  // Changes the consumer has not confirmed, then a failover to the copy.
  p.exec("INSERT INTO t SELECT generate_series(11, 20)", "app");
  auto got = fail_over_and_read_cdc(x);
  for (int id = 11; id <= 20; ++id)
    EXPECT_TRUE(got.contains(id)) << "lost change for id " << id;
}

// An idle consumer that keeps polling: its confirmed_flush_lsn follows the
// primary's WAL, so the copy becomes ready without any change to decode.
TEST(copy_create, a_copy_of_an_idle_polling_consumer_becomes_ready_without_a_restart) {
  if (skip_before_16())
    GTEST_SKIP() << "logical decoding on a standby exists from PostgreSQL 16";
  cdc_pair x;
  node& p = x.p;
  node& r = x.r;
  cdc_on_primary(x, false);
  auto started = started_at(r);
  std::atomic<bool> stop{false};
  std::thread consumer([&] {
    while (!stop) {
      try {
        consume(p);
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(200ms);
    }
  });
  x.start(creating());
  bool ready = x.a.wait_ready("node2", 90s);
  stop = true;
  consumer.join();
  ASSERT_TRUE(ready) << x.a.readiness("node2").dump(2) << x.loop().dump(2);
  EXPECT_EQ(started_at(r), started) << "the replica was restarted";
  EXPECT_EQ(x.loop()["restarts"].get<long>(), 0);
}

// Promoted while its copy is still ahead of the leader's slot: the promote
// reply lists the slot as unsafe, with the reason.
TEST(copy_create, a_promote_while_the_copy_is_ahead_of_the_leader_lists_it_unsafe) {
  if (skip_before_16())
    GTEST_SKIP() << "logical decoding on a standby exists from PostgreSQL 16";
  cdc_pair x;
  cdc_on_primary(x, true);
  ASSERT_NO_FATAL_FAILURE(start_until_created(x));
  ASSERT_TRUE(eventually([&] { return readiness_reason(x.a).starts_with("ahead of the leader's slot"); }, 30s))
      << x.a.readiness("node2").dump(2);
  x.p.stop_fast();
  auto reply = x.a.promote("node2");
  ASSERT_EQ(reply.refused, actors::refusal::none) << reply.error;
  EXPECT_EQ(reply.unsafe, std::vector<std::string>{"cdc"});
  EXPECT_TRUE(reply.reasons["cdc"].starts_with("ahead of the leader's slot")) << reply.reasons["cdc"];
}

// copy_method auto on 16 with a real streaming consumer (a walsender that
// confirms what it reads, as Debezium does): the copy is created on the
// replica without a restart, becomes ready while the consumer streams, and
// a failover to it loses nothing the consumer had not confirmed.
TEST(copy_create, auto_creates_the_copy_of_a_streamed_slot_and_a_failover_loses_nothing) {
  if (pg_install::current().major != 16)
    GTEST_SKIP() << "auto creates copies on PostgreSQL 16 only";
  cdc_pair x;
  auto& p = x.p;
  auto& r = x.r;
  auto& a = x.a;
  cdc_on_primary(x, false);
  auto consumer = std::make_unique<walsender_consumer>(p, "cdc", "orders_cdc", true);
  auto started = started_at(r);
  agent_options o;
  o.copy_method = model::copy_method_setting::automatic;
  x.start(o);
  int next = 1;
  auto insert_some = [&] {
    p.exec("INSERT INTO t SELECT generate_series(" + std::to_string(next) + ", " + std::to_string(next + 9) + ")",
           "app");
    next += 10;
  };
  bool ready = false;
  for (int i = 0; i < 90 && !ready; ++i) { // rows keep coming while the copy is created and proven
    insert_some();
    std::this_thread::sleep_for(1s);
    a.readiness("node2", &ready);
  }
  ASSERT_TRUE(ready) << a.readiness("node2").dump(2) << x.loop().dump(2);
  EXPECT_EQ(consumer->error(), "");
  EXPECT_EQ(started_at(r), started) << "the replica was restarted";
  auto l = x.loop();
  EXPECT_EQ(l["restarts"].get<long>(), 0) << l.dump(2);
  EXPECT_EQ(l["created_copies"].get<long>(), 1) << "auto chose to create: a walsender streams the slot";

  for (int i = 0; i < 5; ++i)
    insert_some();
  const int confirmed_up_to = next - 1;
  ASSERT_TRUE(eventually([&] { return consumer->ids().size() == static_cast<std::size_t>(confirmed_up_to); }, 30s))
      << consumer->ids().size() << " of " << confirmed_up_to;
  std::this_thread::sleep_for(500ms); // its confirmations reach the primary
  // Then it reads on without confirming (it crashes before committing its
  // offsets): those rows must come back from the copy after the failover.
  consumer->stop_confirming();
  for (int i = 0; i < 3; ++i)
    insert_some();
  ASSERT_TRUE(eventually([&] { return consumer->ids().size() == static_cast<std::size_t>(next - 1); }, 30s));
  consumer->close();
  EXPECT_EQ(consumer->error(), "");
  for (int i = 0; i < 2; ++i)
    insert_some(); // read by no one
  // What the primary's slot would still give its consumer: the ground truth.
  auto owed = decoded_ids(p.query("SELECT data FROM pg_logical_slot_peek_changes('cdc', NULL, NULL)", "app"));
  ASSERT_FALSE(owed.empty());
  for (int id = confirmed_up_to + 1; id < next; ++id)
    EXPECT_NE(std::find(owed.begin(), owed.end(), id), owed.end()) << "the primary still owes " << id;
  auto after = fail_over_and_read_cdc(x);
  for (int id : owed)
    EXPECT_TRUE(after.contains(id)) << "lost change for id " << id << " (the primary still owed it)";
}
// copy_method auto on 16 with a consumer that polls (pg_logical_slot_get_changes
// between the leader samples, so the slot is rarely seen active): its slot
// moves while rows come, so the copy is created on the replica, no restart.
TEST(copy_create, auto_creates_the_copy_of_a_polled_slot_without_a_restart) {
  if (pg_install::current().major != 16)
    GTEST_SKIP() << "auto creates copies on PostgreSQL 16 only";
  cdc_pair x;
  cdc_on_primary(x, false);
  auto started = started_at(x.r);
  std::atomic<bool> stop{false};
  std::thread consumer([&] {
    for (int next = 1; !stop; next += 10) {
      try {
        x.p.exec("INSERT INTO t SELECT generate_series(" + std::to_string(next) + ", " + std::to_string(next + 9) + ")",
                 "app");
        consume(x.p);
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(300ms);
    }
  });
  agent_options o;
  o.copy_method = model::copy_method_setting::automatic;
  x.start(o);
  bool ready = x.a.wait_ready("node2", 90s);
  stop = true;
  consumer.join();
  ASSERT_TRUE(ready) << x.a.readiness("node2").dump(2) << x.loop().dump(2);
  EXPECT_EQ(started_at(x.r), started) << "the replica was restarted";
  auto l = x.loop();
  EXPECT_EQ(l["restarts"].get<long>(), 0) << l.dump(2);
  EXPECT_EQ(l["created_copies"].get<long>(), 1) << "auto chose to create: a poller consumes the slot";
}

// copy_method auto on 16 and nobody consuming the leader's slot: the copy
// waits while the slot is watched (no copy meanwhile), then it is a file
// copy at the leader's exact position (one restart), failover-ready, rather
// than a created copy that would stay ahead of the slot.
TEST(copy_create, auto_copies_the_file_of_a_slot_nobody_consumes_once_it_has_watched_it) {
  if (pg_install::current().major != 16)
    GTEST_SKIP() << "auto creates copies on PostgreSQL 16 only";
  cdc_pair x;
  cdc_on_primary(x, true);
  agent_options o;
  o.copy_method = model::copy_method_setting::automatic;
  x.start(o);
  ASSERT_TRUE(eventually(
      [&] {
        auto w = x.loop()["copy_settle"]["awaiting_consumer"];
        return w.is_array() && w.size() == 1 && w[0] == "cdc";
      },
      30s))
      << x.loop().dump(2);
  EXPECT_FALSE(slot_attr(x.r, "cdc", "slot_name")) << "copied before its use was known";
  ASSERT_TRUE(x.a.wait_ready("node2", 90s)) << x.a.readiness("node2").dump(2) << x.loop().dump(2);
  auto l = x.loop();
  EXPECT_EQ(l["restarts"].get<long>(), 1) << l.dump(2);
  EXPECT_EQ(l["created_copies"].get<long>(), 0) << l.dump(2);
  EXPECT_EQ(l["copy_settle"]["awaiting_consumer"].size(), 0u) << l.dump(2);
  EXPECT_EQ(slot_attr(x.r, "cdc", "confirmed_flush_lsn"), slot_attr(x.p, "cdc", "confirmed_flush_lsn"))
      << "the file copy starts where the leader's slot is";
}
} // namespace
} // namespace slotd::testing
