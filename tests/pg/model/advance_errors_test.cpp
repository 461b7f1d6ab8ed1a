#include "pg/model/advance_errors.hpp"

#include <gtest/gtest.h>

namespace slotd::model {
namespace {

// docs/slot-rules.md Q5, §4.5, §6.18.
TEST(ClassifyAdvanceError, MissingWalSegmentMeansRecopy) {
  EXPECT_EQ(classify_advance_error("58P01"), advance_error_action::recopy);
}

// Whatever language the server speaks: the SQLSTATE decides.
TEST(ClassifyAdvanceError, InvalidatedSlotMeansRecopy) {
  EXPECT_EQ(classify_advance_error("55000"), advance_error_action::recopy);
}

TEST(ClassifyAdvanceError, EverythingElseIsRetried) {
  EXPECT_EQ(classify_advance_error("57014"), advance_error_action::retry);
  EXPECT_EQ(classify_advance_error("08006"), advance_error_action::retry);
  EXPECT_EQ(classify_advance_error("42704"), advance_error_action::retry);
  EXPECT_EQ(classify_advance_error(""), advance_error_action::retry);
}

TEST(RecopyLimiter, AtMostThreeRecopiesPerHourPerSlot) {
  using std::chrono::minutes;
  const time_point t0{std::chrono::hours(5)};
  recopy_limiter l;
  auto copy = [&](const std::string& slot, time_point at) {
    if (!l.allows(slot, at))
      return false;
    l.record(slot, at);
    return true;
  };
  EXPECT_TRUE(copy("ls", t0));
  EXPECT_TRUE(copy("ls", t0 + minutes(10)));
  EXPECT_TRUE(copy("ls", t0 + minutes(20)));
  EXPECT_FALSE(copy("ls", t0 + minutes(30)));
  EXPECT_EQ(l.recent("ls", t0 + minutes(30)), 3);
  EXPECT_TRUE(copy("other", t0 + minutes(30))); // per slot
  EXPECT_FALSE(copy("ls", t0 + minutes(59)));
  // the first re-copy leaves the window exactly one hour later
  EXPECT_TRUE(copy("ls", t0 + minutes(60)));
  EXPECT_FALSE(copy("ls", t0 + minutes(61)));
  EXPECT_EQ(l.recent("ls", t0 + minutes(200)), 0);
}

// Asking is not copying: only recorded copies use up the limit.
TEST(RecopyLimiter, AllowsRecordsNothing) {
  const time_point t0{std::chrono::hours(5)};
  recopy_limiter l;
  for (int i = 0; i < 10; ++i)
    EXPECT_TRUE(l.allows("ls", t0));
  EXPECT_EQ(l.recent("ls", t0), 0);
}

TEST(CopyRetry, DoublesUpToAMinuteAndResetsOnSuccess) {
  copy_retry r;
  time_point t0{};
  EXPECT_TRUE(r.allows(t0));
  r.failed(t0);
  EXPECT_FALSE(r.allows(t0 + std::chrono::milliseconds(999)));
  EXPECT_TRUE(r.allows(t0 + std::chrono::seconds(1)));
  std::vector<long> delays;
  for (int i = 0; i < 9; ++i) {
    delays.push_back(copy_retry::delay(r.failures_in_row).count());
    r.failed(t0);
  }
  EXPECT_EQ(delays, (std::vector<long>{1, 2, 4, 8, 16, 32, 60, 60, 60}));
  EXPECT_FALSE(r.allows(t0 + std::chrono::seconds(59)));
  r.succeeded();
  EXPECT_TRUE(r.allows(t0));
  EXPECT_EQ(r.failures_in_row, 0u);
}

} // namespace
} // namespace slotd::model
