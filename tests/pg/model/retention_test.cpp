#include "pg/model/retention.hpp"

#include <gtest/gtest.h>

#include "model_fixtures.hpp"

namespace slotd::model {
namespace {
using namespace testing;
using std::chrono::minutes;

const time_point t0{std::chrono::hours(1000)};

cluster_view with_ttl(cluster_view v, minutes ttl) {
  v.member_slots_ttl = ttl;
  return v;
}

TEST(Retention, PresentMembersAreRefreshedOwnSlotNeverTracked) {
  auto v = with_ttl(view_of({node("n1"), node("n-2"), node("ns", nostream())}), minutes(30));
  auto r = update_retention({}, v, "n1", t0);
  EXPECT_EQ(r.state.last_seen, (std::map<std::string, time_point>{{"n_2", t0}}));
  EXPECT_TRUE(r.retained.empty());
  EXPECT_TRUE(r.expired.empty());
}

TEST(Retention, MemberLeavingAndComingBackWithinTheTtl) {
  auto full = with_ttl(view_of({node("n1"), node("n2"), node("n3")}), minutes(30));
  auto without_n3 = with_ttl(view_of({node("n1"), node("n2")}), minutes(30));
  auto s = update_retention({}, full, "n1", t0).state;
  auto gone = update_retention(s, without_n3, "n1", t0 + minutes(29));
  EXPECT_EQ(gone.retained, (names{"n3"}));
  EXPECT_EQ(gone.state.last_seen.at("n3"), t0); // not refreshed while absent
  auto back = update_retention(gone.state, full, "n1", t0 + minutes(29) + std::chrono::seconds(30));
  EXPECT_TRUE(back.retained.empty());
  EXPECT_EQ(back.state.last_seen.at("n3"), t0 + minutes(29) + std::chrono::seconds(30)); // TTL refreshed
  // leaves again: a full TTL from the last time seen
  auto again = update_retention(back.state, without_n3, "n1", t0 + minutes(58));
  EXPECT_EQ(again.retained, (names{"n3"}));
}

TEST(Retention, MemberAbsentLongerThanTheTtlExpires) {
  auto full = with_ttl(view_of({node("n1"), node("n2"), node("n3")}), minutes(30));
  auto without_n3 = with_ttl(view_of({node("n1"), node("n2")}), minutes(30));
  auto s = update_retention({}, full, "n1", t0).state;
  auto expired = update_retention(s, without_n3, "n1", t0 + minutes(30)); // exactly at TTL: expired
  EXPECT_TRUE(expired.retained.empty());
  EXPECT_EQ(expired.expired, (names{"n3"}));
  EXPECT_FALSE(expired.state.last_seen.contains("n3"));
  auto later = update_retention(expired.state, without_n3, "n1", t0 + minutes(31));
  EXPECT_TRUE(later.expired.empty()); // reported once
}

TEST(Retention, BecomingNostreamStartsTheClock) {
  auto v = with_ttl(view_of({node("n1"), node("n2")}), minutes(10));
  auto s = update_retention({}, v, "n1", t0).state;
  v.members["n2"].tags.nostream = true;
  EXPECT_EQ(update_retention(s, v, "n1", t0 + minutes(5)).retained, (names{"n2"}));
  EXPECT_EQ(update_retention(s, v, "n1", t0 + minutes(10)).expired, (names{"n2"}));
}

TEST(Retention, ZeroTtlDisablesAndForgets) {
  auto v = with_ttl(view_of({node("n1"), node("n2")}), minutes(0));
  retention_state s;
  s.last_seen["old"] = t0;
  auto r = update_retention(s, v, "n1", t0);
  EXPECT_TRUE(r.state.last_seen.empty());
  EXPECT_TRUE(r.retained.empty());
}

TEST(Retention, MyOwnAndPermanentPhysicalNamesAreNeverRetained) {
  auto v = with_ttl(view_of({node("n1")}, {physical_slot("keep")}), minutes(30));
  retention_state s;
  s.last_seen["n1"] = t0;
  s.last_seen["keep"] = t0;
  s.last_seen["n9"] = t0;
  auto r = update_retention(s, v, "n1", t0 + minutes(1));
  EXPECT_EQ(r.retained, (names{"n9"}));
  EXPECT_EQ(r.state.last_seen.size(), 1u);
}

} // namespace
} // namespace slotd::model
