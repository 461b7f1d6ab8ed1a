// One deadline per promote (pg/model/promote_deadline.hpp).
#include <gtest/gtest.h>

#include "pg/model/promote_deadline.hpp"

namespace slotd::model {
namespace {

using namespace std::chrono_literals;

TEST(PromoteDeadline, EachOuterPartWaitsLongerThanTheOneInside) {
  const promote_part parts[] = {promote_part::final_advance, promote_part::ha_loop, promote_part::promote_handler,
                                promote_part::api_gateway};
  auto t0 = promote_clock::time_point{} + 1h;
  auto deadline = t0 + 30s;
  for (std::size_t i = 1; i < std::size(parts); ++i) {
    EXPECT_GT(answer_slack(parts[i]), answer_slack(parts[i - 1])) << i;
    // Whenever the inner part starts waiting, the outer one still waits longer.
    for (auto now : {t0, t0 + 10s, deadline, deadline + 1s})
      EXPECT_GT(wait_for(parts[i], deadline, now), wait_for(parts[i - 1], deadline, now)) << i;
  }
  EXPECT_EQ(wait_for(promote_part::final_advance, deadline, t0), 30s);
  EXPECT_EQ(wait_for(promote_part::api_gateway, deadline, t0), 36s) << "the caller hears by timeout + 6 s";
}

TEST(PromoteDeadline, TimeSpentInsideCountsAgainstTheSameDeadline) {
  auto t0 = promote_clock::time_point{} + 1h;
  auto deadline = t0 + 10s;
  EXPECT_EQ(wait_for(promote_part::ha_loop, deadline, t0 + 7s), 5s) << "3 s left plus the loop's 2 s";
  EXPECT_EQ(wait_for(promote_part::final_advance, deadline, t0 + 12s), 0ms) << "past the deadline: nothing left";
  EXPECT_EQ(wait_for(promote_part::ha_loop, deadline, t0 + 30s), 0ms);
}

TEST(PromoteDeadline, TheHandoverGetsAThirdOfWhatIsLeftAtMostFiveSeconds) {
  auto t0 = promote_clock::time_point{} + 1h;
  EXPECT_EQ(handover_wait(t0 + 30s, t0), 5s);
  EXPECT_EQ(handover_wait(t0 + 6s, t0), 2s);
  EXPECT_EQ(handover_wait(t0 + 6s, t0 + 3s), 1s) << "measured from now, not from the request";
  EXPECT_EQ(handover_wait(t0 + 6s, t0 + 7s), 0ms);
}

} // namespace
} // namespace slotd::model
