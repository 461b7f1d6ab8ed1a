#include "pg/model/copy_prerequisites.hpp"

#include <gtest/gtest.h>

namespace slotd::model {
namespace {

node_facts replica() {
  node_facts f;
  f.wal_level = "logical";
  f.max_replication_slots = 10;
  f.slots_in_use = 1;
  f.slot_names = {"old"};
  f.databases = {"postgres", "app"};
  f.system_identifier = "7300000000000000001";
  f.server_version = 150010;
  return f;
}

node_facts leader() {
  node_facts f;
  f.system_identifier = "7300000000000000001";
  f.server_version = 150012; // minor versions differ: fine
  return f;
}

bool has(const std::vector<refused_slot>& v, const std::string& slot, const std::string& part) {
  for (auto& r : v)
    if (r.slot == slot && r.why.find(part) != std::string::npos)
      return true;
  return false;
}

bool has(const std::vector<std::string>& v, const std::string& part) {
  for (auto& s : v)
    if (s.find(part) != std::string::npos)
      return true;
  return false;
}

TEST(CopyPrerequisites, AllGood) {
  auto v = check_copy_prerequisites(replica(), leader(), {{"cdc", "app"}, {"old", "app"}});
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.allowed, (std::vector<std::string>{"cdc", "old"}));
  EXPECT_TRUE(v.refused.empty());
}

TEST(CopyPrerequisites, WalLevelBelowLogicalBlocksTheCopy) {
  auto local = replica();
  local.wal_level = "replica";
  auto v = check_copy_prerequisites(local, leader(), {{"cdc", "app"}});
  EXPECT_FALSE(v.ok());
  EXPECT_TRUE(has(v.blocking, "wal_level is 'replica'"));
}

TEST(CopyPrerequisites, APromotedServerIsNeverStopped) {
  auto local = replica();
  local.in_recovery = false;
  EXPECT_TRUE(has(check_copy_prerequisites(local, leader(), {{"cdc", "app"}}).blocking, "not in recovery"));
}

TEST(CopyPrerequisites, OtherMajorOrOtherClusterBlocksTheCopy) {
  auto l = leader();
  l.server_version = 160003;
  EXPECT_TRUE(has(check_copy_prerequisites(replica(), l, {{"cdc", "app"}}).blocking, "do not cross majors"));
  l = leader();
  l.system_identifier = "7300000000000000999";
  EXPECT_TRUE(has(check_copy_prerequisites(replica(), l, {{"cdc", "app"}}).blocking, "another cluster"));
  // Unknown on either side: the check cannot be made, so no stop.
  l.system_identifier.reset();
  EXPECT_TRUE(has(check_copy_prerequisites(replica(), l, {{"cdc", "app"}}).blocking, "cannot compare"));
  auto r = replica();
  r.system_identifier.reset();
  EXPECT_TRUE(has(check_copy_prerequisites(r, leader(), {{"cdc", "app"}}).blocking, "cannot compare"));
}

TEST(CopyPrerequisites, MissingDatabaseAndNoFreeSlotRefuseSingleSlots) {
  auto local = replica();
  local.max_replication_slots = 2; // one free
  auto v = check_copy_prerequisites(local, leader(), {{"a", "app"}, {"b", "app"}, {"old", "app"}, {"c", "nope"}});
  EXPECT_EQ(v.allowed, (std::vector<std::string>{"a", "old"})) << "old replaces itself in place";
  EXPECT_TRUE(has(v.refused, "b", "no free replication slot"));
  EXPECT_TRUE(has(v.refused, "c", "database nope does not exist"));
  EXPECT_TRUE(v.ok());
  local.max_replication_slots = 1;
  EXPECT_FALSE(check_copy_prerequisites(local, leader(), {{"a", "app"}}).ok());
}

} // namespace
} // namespace slotd::model
