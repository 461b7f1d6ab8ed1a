// A replica samples its leader between full cycles (pg/model/sampling.hpp):
// fast while the leader's logical slots move, backing off while they don't,
// and a slot that appears on the leader is copied at once rather than at
// the next full cycle. Real servers; loop_wait is long so that full cycles
// do not hide what the samples do.
#include <atomic>
#include <thread>

#include "tests/actors/agent_fixture.hpp"

namespace slotd::testing {
namespace {

long sampling(cdc_pair& x, const char* field) { return x.loop()["sampling"][field].get<long>(); }

// Samples taken over `d`, from the state dump's counter.
long samples_during(cdc_pair& x, std::chrono::milliseconds d) {
  auto before = sampling(x, "samples");
  std::this_thread::sleep_for(d);
  return sampling(x, "samples") - before;
}

// Table t on the primary; both agents with a long loop_wait (full cycles do
// not hide what samples do) and samples backing off to 2 s; node2 ready.
void start_both(cdc_pair& x) {
  x.p.exec("CREATE TABLE t (id serial primary key)", "app");
  agent_options o;
  o.loop_wait = 300s;
  o.sampling = {200ms, 2000ms};
  x.start(x.p, o);
  x.start(x.r, o);
  ASSERT_TRUE(x.a.wait_ready("node2", 90s)) << x.a.readiness("node2").dump(2);
}

TEST(sampling, fast_while_the_leader_slot_moves_slow_while_it_does_not) {
  cdc_pair x;
  start_both(x);
  if (HasFatalFailure())
    return;

  // Idle: the samples back off to the slowest.
  ASSERT_TRUE(eventually([&] { return sampling(x, "next_ms") == 2000; }, 30s)) << x.loop().dump(2);
  auto idle = samples_during(x, 6s);
  EXPECT_LE(idle, 5) << "one sample per 2 s while nothing moves";

  // A consumer on the primary moves the slot every 100 ms.
  std::atomic<bool> stop{false};
  std::thread consumer([&] {
    while (!stop) {
      x.p.exec("INSERT INTO t DEFAULT VALUES", "app");
      x.p.exec("SELECT count(*) FROM pg_logical_slot_get_changes('cdc', NULL, NULL)", "app");
      std::this_thread::sleep_for(100ms);
    }
  });
  bool snapped_back = eventually([&] { return sampling(x, "next_ms") == 200; }, 10s);
  auto busy = samples_during(x, 6s);
  auto moved_before = sampling(x, "moved");
  std::this_thread::sleep_for(2s);
  auto moved_after = sampling(x, "moved");
  stop = true;
  consumer.join();
  EXPECT_TRUE(snapped_back) << x.loop().dump(2);
  EXPECT_GE(busy, 15) << "about one sample per 200 ms while the slot moves (" << idle << " while idle)";
  EXPECT_GT(moved_after, moved_before);

  // The copy follows the primary's slot without a full cycle.
  auto target = slot_attr(x.p, "cdc", "confirmed_flush_lsn").value();
  auto cycles = x.loop()["cycles"].get<long>();
  EXPECT_TRUE(eventually([&] {
    return x.p.scalar("SELECT '" + slot_attr(x.r, "cdc", "confirmed_flush_lsn").value_or("0/0") + "'::pg_lsn >= '" +
                      target + "'::pg_lsn") == "t";
  }, 15s));
  EXPECT_EQ(x.loop()["cycles"].get<long>(), cycles) << "advanced by samples, not by a full cycle (loop_wait 300 s)";

  // Still again: back off.
  EXPECT_TRUE(eventually([&] { return sampling(x, "next_ms") == 2000; }, 30s)) << x.loop().dump(2);
}

TEST(sampling, a_slot_that_appears_on_the_leader_is_copied_before_the_next_full_cycle) {
  cdc_pair x;
  agent_options o;
  o.loop_wait = 300s;
  o.sampling = {200ms, 2000ms};
  // Only the replica's agent: the slot appears on the primary when the test
  // creates it, between two of the replica's full cycles.
  x.start(x.r, o);
  ASSERT_TRUE(eventually([&] { return x.loop()["cycles"].get<long>() >= 1 && x.loop()["role"] == "replica"; }, 30s))
      << x.loop().dump(2);
  ASSERT_TRUE(eventually([&] { return sampling(x, "next_ms") == 2000; }, 30s)) << x.loop().dump(2);
  auto cycles = x.loop()["cycles"].get<long>();
  x.p.exec("SELECT pg_create_logical_replication_slot('cdc', 'test_decoding')", "app");
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return x.loop()["copies"].get<long>() >= 1; }, 60s)) << x.loop().dump(2);
  auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("copied %.1f s after the slot appeared on the leader (loop_wait 300 s; %ld full cycles since)\n", took,
              x.loop()["cycles"].get<long>() - cycles);
  EXPECT_TRUE(slots_of(x.r).contains("cdc"));
}

// A copy held back by the replica's replay position is advanced again when
// replay catches up, with the leader idle meanwhile: at a sample, not at the
// next full cycle.
TEST(sampling, a_copy_held_back_by_replay_catches_up_while_the_leader_is_idle) {
  cdc_pair x;
  start_both(x);
  if (HasFatalFailure())
    return;
  // Settled: the samples backed off to the slowest (what the first copy
  // set off is over) before the full cycles are counted.
  ASSERT_TRUE(eventually([&] { return sampling(x, "next_ms") == 2000; }, 30s)) << x.loop().dump(2);
  auto cycles = x.loop()["cycles"].get<long>();

  x.r.exec("SELECT pg_wal_replay_pause()");
  for (int i = 0; i < 20; ++i)
    x.p.exec("INSERT INTO t DEFAULT VALUES", "app");
  x.p.exec("SELECT count(*) FROM pg_logical_slot_get_changes('cdc', NULL, NULL)", "app");
  auto target = slot_attr(x.p, "cdc", "confirmed_flush_lsn").value();
  // The leader's slot moved once and then stays still; the copy cannot pass
  // the paused replay position.
  std::this_thread::sleep_for(3s);
  auto held = slot_attr(x.r, "cdc", "confirmed_flush_lsn").value_or("0/0");
  EXPECT_EQ(x.p.scalar("SELECT '" + held + "'::pg_lsn < '" + target + "'::pg_lsn"), "t") << held << " vs " << target;

  x.r.exec("SELECT pg_wal_replay_resume()");
  EXPECT_TRUE(eventually([&] {
    return x.p.scalar("SELECT '" + slot_attr(x.r, "cdc", "confirmed_flush_lsn").value_or("0/0") + "'::pg_lsn >= '" +
                      target + "'::pg_lsn") == "t";
  }, 30s)) << x.loop().dump(2);
  EXPECT_EQ(x.loop()["cycles"].get<long>(), cycles) << "caught up by samples, not by a full cycle (loop_wait 300 s)";
}

// A copy that cannot be proven safe (another slot on the replica holds the
// feedback to the primary below it: its consumer stopped) does not keep
// the samples at the fastest pace for as long as it stays unproven: after
// a short patience they back off like an idle leader's, and the proof
// still completes once the other slot moves.
TEST(sampling, an_unprovable_copy_backs_off_and_is_proven_once_the_feedback_moves) {
  cdc_pair x;
  x.view = view_of(x.c, {logical_slot("cdc", "app", "test_decoding"), logical_slot("audit", "app", "test_decoding")});
  start_both(x);
  if (HasFatalFailure())
    return;
  // cdc's consumer moves on past new transactions; audit's stays behind,
  // with an older catalog_xmin (a running-xacts record, from CHECKPOINT,
  // lets the slot's catalog_xmin advance).
  for (int i = 0; i < 3; ++i) {
    x.p.exec("INSERT INTO t DEFAULT VALUES", "app");
    x.p.exec("CHECKPOINT");
    x.p.exec("SELECT count(*) FROM pg_logical_slot_get_changes('cdc', NULL, NULL)", "app");
  }
  auto xmin = [](node& n, const std::string& slot) { return slot_attr(n, slot, "catalog_xmin").value_or("?"); };
  ASSERT_EQ(x.p.scalar("SELECT (SELECT catalog_xmin::text::bigint FROM pg_replication_slots WHERE slot_name = 'cdc') > "
                       "(SELECT catalog_xmin::text::bigint FROM pg_replication_slots WHERE slot_name = 'audit')"),
            "t")
      << "cdc " << xmin(x.p, "cdc") << ", audit " << xmin(x.p, "audit");
  auto flushed = [](node& n) { return slot_attr(n, "cdc", "confirmed_flush_lsn").value_or("?"); };
  ASSERT_TRUE(eventually([&] { return flushed(x.r) == flushed(x.p); }, 30s))
      << "copy " << flushed(x.r) << ", primary " << flushed(x.p);

  // node2's agent starts again: its copies are to be proven again. audit's
  // is; cdc's cannot be while audit holds node2's feedback below it.
  x.start(x.r, {.loop_wait = 300s, .sampling = {200ms, 2000ms}});
  auto pending = [&] { return x.a.readiness("node2")["pending"]; };
  ASSERT_TRUE(eventually([&] { return pending().contains("cdc") && !pending().contains("audit"); }, 30s))
      << x.a.readiness("node2").dump(2);
  EXPECT_TRUE(eventually([&] { return sampling(x, "next_ms") == 2000; }, 40s))
      << "samples stay fast while the proof cannot complete: " << x.loop()["sampling"].dump();
  bool ready = true;
  x.a.readiness("node2", &ready);
  EXPECT_FALSE(ready) << "cdc is not proven while audit holds the feedback back";

  // audit's consumer catches up and both move on: the copies advance, the
  // feedback (the replica's slots' catalog_xmin, as its replay of
  // running-xacts records lets them advance) moves, and the proof completes.
  std::atomic<bool> stop{false};
  std::thread consumers([&] {
    while (!stop) {
      x.p.exec("INSERT INTO t DEFAULT VALUES", "app");
      x.p.exec("CHECKPOINT");
      x.p.exec("SELECT count(*) FROM pg_logical_slot_get_changes('audit', NULL, NULL)", "app");
      x.p.exec("SELECT count(*) FROM pg_logical_slot_get_changes('cdc', NULL, NULL)", "app");
      std::this_thread::sleep_for(500ms);
    }
  });
  bool proven = x.a.wait_ready("node2", 60s);
  stop = true;
  consumers.join();
  EXPECT_TRUE(proven) << x.a.readiness("node2").dump(2) << x.loop()["sampling"].dump();
}

} // namespace
} // namespace slotd::testing
