// A nofailover member that the HA manager promotes anyway (docs/slot-rules.md
// §3.14): as a replica it keeps no copy of the permanent logical slots, so
// it is never ready and its promotion reports them unsafe (their consumers
// would skip changes); promoted, it holds a primary's slots rather than
// dropping them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/actors/agent_fixture.hpp"

namespace slotd::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::Contains;
using ::testing::HasSubstr;

TEST(nofailover, a_promoted_nofailover_member_reports_its_logical_slots_unsafe_and_holds_a_primarys_slots) {
  cdc_pair x;
  x.view.members["node2"].tags.nofailover = true;
  x.start(x.p);
  ASSERT_TRUE(eventually([&] { return slots_of(x.p).contains("cdc"); })) << x.a.dump("node1").dump(2);
  x.start(x.r);
  ASSERT_TRUE(eventually([&] { return x.loop()["cycles"].get<int>() >= 3; })) << x.loop().dump(2);
  EXPECT_FALSE(slots_of(x.r).contains("cdc")) << "a nofailover replica keeps no copy";

  bool ready = true;
  auto rd = x.a.readiness("node2", &ready);
  EXPECT_FALSE(ready) << rd.dump(2);
  EXPECT_THAT(rd["reasons"].value("cdc", std::string()), HasSubstr("nofailover")) << rd.dump(2);

  x.r.wait_replay(x.p.current_lsn());
  x.p.stop_fast();
  auto reply = x.a.promote("node2");
  ASSERT_EQ(reply.refused, actors::refusal::none) << reply.error;
  EXPECT_THAT(reply.unsafe, Contains("cdc")) << "its consumer would skip changes: the HA manager must know";
  EXPECT_THAT(reply.reasons["cdc"], HasSubstr("nofailover"));
  x.r.promote();

  // Promoted, it holds a primary's slots: the permanent logical slot (anew)
  // and the other member's slot.
  EXPECT_TRUE(eventually([&] {
    auto s = slots_of(x.r);
    return s.contains("cdc") && s.contains("node1");
  })) << x.loop().dump(2);
  EXPECT_EQ(x.a.status("node2")["role"], "primary");
}

} // namespace
} // namespace slotd::testing
