// One replica restart per burst of new slots (pg/model/copy_settle.hpp, file
// copies on 12–15): slots that appear on the leader a tenth of a second
// apart, or that a new cluster view adds, are copied by one restart.
// Real servers; the restarts are counted from the agent's state and from
// the replica's postmaster start time.
#include <thread>

#include "tests/actors/agent_fixture.hpp"

namespace slotd::testing {
namespace {

model::cluster_view view_with(cluster& c, const std::vector<std::string>& names) {
  std::vector<model::permanent_slot> slots;
  for (auto& n : names)
    slots.push_back(logical_slot(n, "app", "test_decoding"));
  return view_of(c, slots);
}

bool has_slots(const node& n, const std::vector<std::string>& names) {
  try {
    if (!n.running())
      return false;
    auto have = slots_of(n);
    return std::all_of(names.begin(), names.end(), [&](auto& s) { return have.contains(s); });
  } catch (const std::exception&) {
    return false; // restarting
  }
}

agent_options slow_cycles() {
  agent_options o;
  o.loop_wait = 300s; // the copies come from samples, not from full cycles
  o.sampling = {200ms, 2000ms};
  o.copy_method = model::copy_method_setting::file; // what restarts (auto may create on 16)
  return o;
}

TEST(copy_burst, three_slots_created_a_tenth_of_a_second_apart_cost_one_restart) {
  cluster c({.replicas = 1});
  auto& p = c.primary();
  auto& r = c.replica(0);
  agents a;
  // Only the replica's agent: the test creates the slots on the primary,
  // the way three consumers would.
  a.start(r, view_with(c, {"s1", "s2", "s3"}), slow_cycles());
  auto loop = [&] { return a.dump("node2")["ha_loop"]; };
  ASSERT_TRUE(eventually([&] { return loop()["role"] == "replica" && loop()["cycles"].get<long>() >= 1; }, 30s))
      << loop().dump(2);
  auto started = started_at(r);
  for (auto* s : {"s1", "s2", "s3"}) {
    p.exec(std::string("SELECT pg_create_logical_replication_slot('") + s + "', 'test_decoding')", "app");
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(eventually([&] { return has_slots(r, {"s1", "s2", "s3"}); }, 60s)) << loop().dump(2);
  // Nothing more to come: no second copy after a while.
  std::this_thread::sleep_for(5s);
  auto l = loop();
  EXPECT_EQ(l["restarts"].get<long>(), 1) << l.dump(2);
  EXPECT_EQ(l["copies"].get<long>(), 3) << l.dump(2);
  EXPECT_NE(started_at(r), started);
  for (auto* s : {"s1", "s2", "s3"})
    EXPECT_EQ(l["restarts_by_slot"][s].get<long>(), 1) << l.dump(2);
  auto log = a.dump("node2")["slot_copier"]["restart_log"];
  ASSERT_EQ(log.size(), 1u) << log.dump(2);
  EXPECT_EQ(log[0]["installed"], json({"s1", "s2", "s3"}));
  for (auto* s : {"s1", "s2", "s3"})
    EXPECT_NE(log[0]["causes"][s].get<std::string>().find("missing here"), std::string::npos) << log.dump(2);
}

TEST(copy_burst, slots_added_by_two_views_half_a_second_apart_cost_one_restart_on_the_replica) {
  cluster c({.replicas = 1});
  auto& r = c.replica(0);
  c.primary().exec("SELECT 1");
  agents a;
  auto o = slow_cycles();
  a.start(c.primary(), view_with(c, {"s1"}), o);
  a.start(r, view_with(c, {"s1"}), o);
  ASSERT_TRUE(a.wait_ready("node2", 90s)) << a.readiness("node2").dump(2);
  auto loop = [&] { return a.dump("node2")["ha_loop"]; };
  auto restarts = loop()["restarts"].get<long>();
  auto started = started_at(r);

  // Two PUT /cluster half a second apart, each to both agents (the way an
  // operator adding two slots one after the other would): s2, then s3.
  auto put = [&](const std::vector<std::string>& names) {
    config::cluster_update u;
    u.slots = view_with(c, names).slots;
    EXPECT_EQ(a.update("node2", u).refused, actors::refusal::none);
    EXPECT_EQ(a.update("node1", u).refused, actors::refusal::none);
  };
  put({"s1", "s2"});
  ASSERT_TRUE(eventually([&] { return slots_of(c.primary()).contains("s2"); }, 30s));
  std::this_thread::sleep_for(500ms);
  put({"s1", "s2", "s3"});
  ASSERT_TRUE(eventually([&] { return has_slots(r, {"s1", "s2", "s3"}); }, 60s)) << loop().dump(2);
  std::this_thread::sleep_for(5s);
  auto l = loop();
  EXPECT_EQ(l["restarts"].get<long>() - restarts, 1) << l.dump(2);
  EXPECT_NE(started_at(r), started);
  ASSERT_TRUE(a.wait_ready("node2", 60s)) << a.readiness("node2").dump(2);
}

// The copy waits for the burst (state dump), then a slot that appears
// right after that restart waits copy_settle after it rather than stopping
// the server again at once.
TEST(copy_burst, a_slot_created_right_after_a_copy_waits_copy_settle_before_the_next_restart) {
  cluster c({.replicas = 1});
  auto& p = c.primary();
  auto& r = c.replica(0);
  agents a;
  auto o = slow_cycles();
  o.copy_settle = 3s;
  a.start(r, view_with(c, {"s1", "s2"}), o);
  auto loop = [&] { return a.dump("node2")["ha_loop"]; };
  ASSERT_TRUE(eventually([&] { return loop()["role"] == "replica" && loop()["cycles"].get<long>() >= 1; }, 30s))
      << loop().dump(2);
  p.exec("SELECT pg_create_logical_replication_slot('s1', 'test_decoding')", "app");
  // Waiting: the dump says why and for how long.
  ASSERT_TRUE(eventually([&] { return loop()["copy_settle"]["waiting"] == "new slots settling"; }, 10s))
      << loop().dump(2);
  EXPECT_EQ(loop()["restarts"].get<long>(), 0);
  ASSERT_TRUE(eventually([&] { return loop()["restarts"].get<long>() == 1 && !loop()["copying"].get<bool>(); }, 60s))
      << loop().dump(2);
  auto first_end = std::chrono::steady_clock::now();
  p.exec("SELECT pg_create_logical_replication_slot('s2', 'test_decoding')", "app");
  ASSERT_TRUE(eventually([&] { return has_slots(r, {"s1", "s2"}); }, 60s)) << loop().dump(2);
  auto gap = std::chrono::steady_clock::now() - first_end;
  EXPECT_GE(gap, 3s) << "the second restart came within copy_settle of the first";
  // The slot is there once the server runs again; the copier's report of
  // that restart may come a moment later.
  EXPECT_TRUE(eventually([&] { return loop()["restarts"].get<long>() == 2; }, 15s)) << loop().dump(2);
}

} // namespace
} // namespace slotd::testing
