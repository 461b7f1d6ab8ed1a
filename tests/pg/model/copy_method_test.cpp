// How a replica gets its copies (pg/model/copy_method.hpp).
#include <gtest/gtest.h>

#include "model_fixtures.hpp"
#include "pg/model/copy_method.hpp"

namespace slotd::model {
namespace {

using testing::logical;

TEST(ChooseCopyMethod, AutoCreatesOn16WhenAConsumerStreamsAndCopiesFilesElsewhere) {
  for (int major : {12, 13, 14, 15, 17, 18})
    EXPECT_EQ(choose_copy_method(copy_method_setting::automatic, major, true).method, copy_method::file) << major;
  EXPECT_EQ(choose_copy_method(copy_method_setting::automatic, 16, true).method, copy_method::create);
  EXPECT_EQ(choose_copy_method(copy_method_setting::automatic, 16, false).method, copy_method::file)
      << "nobody consumes the leader's slot: a created copy would stay ahead of it";
}

// A slot being created on the leader is active (its creating backend holds
// it) without a confirmed position: not a consumer.
TEST(ChooseCopyMethod, ASlotStillBeingCreatedOnTheLeaderHasNoConsumer) {
  auto consumed = logical("cdc", "app", "pgoutput", 500);
  consumed.active = true;
  EXPECT_TRUE(leader_slot_consumed(consumed, 2));
  EXPECT_FALSE(leader_slot_consumed(consumed, 1)) << "just created, held by its creator: not moved yet";
  auto creating = logical("cdc", "app", "pgoutput", std::nullopt);
  creating.active = true;
  EXPECT_FALSE(leader_slot_consumed(creating, 2));
  EXPECT_FALSE(leader_slot_consumed(logical("cdc", "app", "pgoutput", 500), 2)) << "inactive";
}

TEST(ChooseCopyMethod, ExplicitMethodsAndTheirLimits) {
  EXPECT_EQ(choose_copy_method(copy_method_setting::file, 16, true).method, copy_method::file);
  EXPECT_EQ(choose_copy_method(copy_method_setting::create, 17, false).method, copy_method::create);
  auto too_old = choose_copy_method(copy_method_setting::create, 15, true);
  EXPECT_FALSE(too_old.method);
  EXPECT_NE(too_old.refusal.find("16 or later"), std::string::npos) << too_old.refusal;
  EXPECT_FALSE(choose_copy_method(copy_method_setting::automatic, 0, true).method) << "major not known yet: no copy";
}

TEST(CopyAheadOfLeader, OnlyAPositionPastTheLeadersCounts) {
  auto copy = logical("cdc", "app", "pgoutput", 700);
  EXPECT_TRUE(copy_ahead_of_leader("cdc", copy, {{"cdc", pg::lsn{699}}}));
  EXPECT_FALSE(copy_ahead_of_leader("cdc", copy, {{"cdc", pg::lsn{700}}}));
  EXPECT_FALSE(copy_ahead_of_leader("cdc", copy, {}));
  auto unknown = logical("cdc", "app", "pgoutput", std::nullopt);
  EXPECT_FALSE(copy_ahead_of_leader("cdc", unknown, {{"cdc", pg::lsn{1}}}));
}

} // namespace
} // namespace slotd::model
