// docs/slot-rules.md §1.6: the re-check triggers.
#include "pg/model/readiness_recheck.hpp"

#include <gtest/gtest.h>

namespace slotd::model {
namespace {

recheck_facts seen() { return {"2026-12-01 00:00:00+00", "node1", 1, 0}; }

TEST(ReadinessRecheck, TheAgentsFirstLookRechecks) {
  EXPECT_EQ(readiness_recheck(std::nullopt, seen()), recheck_reason::agent_start);
}

TEST(ReadinessRecheck, NothingChangedNoRecheck) { EXPECT_EQ(readiness_recheck(seen(), seen()), recheck_reason::none); }

TEST(ReadinessRecheck, EachTriggerOnItsOwn) {
  auto now = seen();
  now.server_started_at = "2026-12-01 00:05:00+00"; // a restart, crash or a copy's restart
  EXPECT_EQ(readiness_recheck(seen(), now), recheck_reason::server_started);
  now = seen();
  now.leader = "node3";
  EXPECT_EQ(readiness_recheck(seen(), now), recheck_reason::new_leader);
  now.leader = std::nullopt; // the leader is forgotten: another one will be proven against
  EXPECT_EQ(readiness_recheck(seen(), now), recheck_reason::new_leader);
  now = seen();
  ++now.demotes; // a demote to the same leader re-checks too
  EXPECT_EQ(readiness_recheck(seen(), now), recheck_reason::demote);
  now = seen();
  ++now.resumes; // a pause and a resume between two looks
  EXPECT_EQ(readiness_recheck(seen(), now), recheck_reason::resume);
}

TEST(ReadinessRecheck, ARestartIsNamedFirst) {
  auto now = seen();
  now.server_started_at = "later";
  now.leader = "node3";
  ++now.resumes;
  EXPECT_EQ(readiness_recheck(seen(), now), recheck_reason::server_started);
}

} // namespace
} // namespace slotd::model
