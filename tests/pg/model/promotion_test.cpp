// The promote decisions: the final advance targets and the reply.
#include "pg/model/promotion.hpp"

#include <gtest/gtest.h>

#include "model_fixtures.hpp"

namespace slotd::model {
namespace {
using namespace testing;

TEST(PlanFinalAdvance, MovesToTheLeaderButNeverPastReplayNorBackwards) {
  auto local = cache_of({logical("behind", "app", "p", 100), logical("ahead", "app", "p", 900),
                         logical("other_db", "crm", "p", 100), logical("only_here", "app", "p", 100),
                         physical("phys", 100)});
  auto leader = cache_of({logical("behind", "app", "p", 400), logical("ahead", "app", "p", 500),
                          logical("other_db", "crm", "p", 800), physical("phys", 900)});
  auto t = plan_final_advance(local, leader, L(600));
  EXPECT_EQ(t, (final_advance_targets{{"app", {{"behind", L(400)}}}, {"crm", {{"other_db", L(600)}}}}));
}

TEST(PlanFinalAdvance, NothingWithoutALeaderSampleOrAReplayPosition) {
  auto local = cache_of({logical("cdc", "app", "p", 100)});
  auto leader = cache_of({logical("cdc", "app", "p", 400)});
  EXPECT_TRUE(plan_final_advance(local, std::nullopt, L(600)).empty());
  EXPECT_TRUE(plan_final_advance(local, leader, std::nullopt).empty());
  // A copy or leader slot without a position is left alone.
  EXPECT_TRUE(plan_final_advance(cache_of({logical("cdc", "app", "p", std::nullopt)}), leader, L(600)).empty());
  EXPECT_TRUE(plan_final_advance(local, cache_of({logical("cdc", "app", "p", std::nullopt)}), L(600)).empty());
  // Already there: no call.
  EXPECT_TRUE(plan_final_advance(cache_of({logical("cdc", "app", "p", 400)}), leader, L(600)).empty());
}

desired_set desired_of(std::initializer_list<std::string> names) {
  desired_set d;
  for (auto& n : names) {
    desired_slot x;
    x.name = n;
    x.type = slot_type::logical;
    x.database = "app";
    x.plugin = "p";
    d[n] = x;
  }
  return d;
}

// Desired slots as /readiness judges them (missing, unproven: unsafe with a
// reason); local slots nobody asked for are ready unless unproven.
TEST(JudgePromotion, DesiredSlotsWithReasonsAndUndesiredLocalSlots) {
  auto local = cache_of({logical("cdc", "app", "p"), logical("unproven", "app", "p"), logical("by_hand", "app", "p"),
                         logical("by_hand_unproven", "app", "p"), physical("node3", 100)});
  readiness_queue q{{{"unproven", std::nullopt}, {"by_hand_unproven", std::nullopt}}};
  auto v = judge_promotion(desired_of({"cdc", "unproven", "missing"}), local, q, 15, {}, {});
  EXPECT_EQ(v.ready, (std::vector<std::string>{"cdc", "by_hand"}));
  EXPECT_EQ(v.unsafe, (std::vector<std::string>{"missing", "unproven", "by_hand_unproven"}));
  ASSERT_EQ(v.reasons.size(), 2u);
  EXPECT_EQ(v.reasons["missing"].rfind("missing", 0), 0u) << v.reasons["missing"];
  EXPECT_EQ(v.reasons["unproven"].rfind("not proven safe", 0), 0u) << v.reasons["unproven"];
}

// 17+: a node its old leader's synchronized_standby_slots did not protect
// reports its failover slots unsafe, with the reason; other slots as usual.
TEST(JudgePromotion, FailoverSlotsUnsafeWhenTheNodeWasNotProtected) {
  auto d = desired_of({"cdc", "plain"});
  d["cdc"].failover = true;
  auto local = cache_of({logical("plain", "app", "p")});
  std::vector<failover_slot_state> synced{{"cdc", true, false, std::nullopt}};
  auto ok = judge_promotion(d, local, {}, 17, synced, {});
  EXPECT_EQ(ok.ready, (std::vector<std::string>{"cdc", "plain"}));
  auto gap = judge_promotion(d, local, {}, 17, synced, {}, "not in synchronized_standby_slots: why");
  EXPECT_EQ(gap.ready, (std::vector<std::string>{"plain"}));
  EXPECT_EQ(gap.unsafe, (std::vector<std::string>{"cdc"}));
  EXPECT_EQ(gap.reasons["cdc"], "not in synchronized_standby_slots: why");
}

} // namespace
} // namespace slotd::model
