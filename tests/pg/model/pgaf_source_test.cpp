// ha_source: pg_auto_failover: the monitor's pgautofailover.node rows to
// members, and the goal states to promote and follow.
#include "pg/model/pgaf_source.hpp"

#include <gtest/gtest.h>

namespace slotd::model {
namespace {

pgaf_node node(std::int64_t id, std::string goal, std::string reported, int port = 0, int group = 0) {
  pgaf_node n;
  n.node_id = id;
  n.group_id = group;
  n.node_name = "node_" + std::to_string(id);
  n.host = "10.0.0." + std::to_string(id);
  n.port = port ? port : 5432 + static_cast<int>(id);
  n.goal_state = std::move(goal);
  n.reported_state = std::move(reported);
  return n;
}

TEST(PgafSource, MemberNamesAreTheSlotsPgAutoFailoverGivesTheNodes) {
  EXPECT_EQ(pgaf_member_name(12), "pgautofailover_standby_12");
  EXPECT_EQ(slot_name_from_member_name(pgaf_member_name(12)), "pgautofailover_standby_12");
  EXPECT_EQ(pgaf_node_id_of("pgautofailover_standby_12"), 12);
  EXPECT_EQ(pgaf_node_id_of("pgautofailover_standby_0"), std::nullopt);
  EXPECT_EQ(pgaf_node_id_of("pgautofailover_standby_012"), std::nullopt);
  EXPECT_EQ(pgaf_node_id_of("pgautofailover_standby_"), std::nullopt);
  EXPECT_EQ(pgaf_node_id_of("pgautofailover_standby_1x"), std::nullopt);
  EXPECT_EQ(pgaf_node_id_of("node_1"), std::nullopt);
}

TEST(PgafSource, TheNodesOfThisNodesGroupAreTheMembers) {
  auto nodes = std::vector{node(1, "primary", "primary"), node(2, "secondary", "secondary"),
                           node(3, "secondary", "secondary", 0, 1), node(4, "dropped", "secondary"),
                           node(5, "secondary", "secondary", 70000)};
  auto got = members_from_pgaf(nodes, 2, 8010);
  ASSERT_EQ(got.members.size(), 3u);
  EXPECT_TRUE(got.members.contains("pgautofailover_standby_4"))
      << "a node being dropped keeps its slot until its record goes, as pg_autoctl keeps it";
  const auto& one = got.members.at("pgautofailover_standby_1");
  EXPECT_EQ(one.name, "pgautofailover_standby_1");
  EXPECT_EQ(one.host, "10.0.0.1");
  EXPECT_EQ(one.port, 5433);
  EXPECT_EQ(one.api, "http://10.0.0.1:8010");
  EXPECT_FALSE(one.tags.nofailover || one.tags.nostream || one.tags.replicatefrom);
  EXPECT_TRUE(got.members.contains("pgautofailover_standby_2"));
  EXPECT_EQ(got.problems.size(), 1u) << "the bad port";
  EXPECT_FALSE(members_from_pgaf(nodes, 2, std::nullopt).members.at("pgautofailover_standby_1").api);
  EXPECT_TRUE(members_from_pgaf(nodes, 9, 8010).members.empty()) << "this node is not registered";
}

TEST(PgafSource, AStandbyAssignedAPromotionPromotesOnce) {
  auto nodes = std::vector{node(1, "draining", "primary"), node(2, "prepare_promotion", "secondary")};
  auto a = decide_pgaf_step(nodes, 2, {});
  EXPECT_EQ(a.step, pgaf_step::promote);
  EXPECT_NE(a.why.find("prepare_promotion"), std::string::npos);
  EXPECT_EQ(decide_pgaf_step(nodes, 2, {pgaf_step::promote, ""}).step, pgaf_step::none) << "once";
  // Seen only at a later step (an agent started then, a notification read late).
  nodes[1] = node(2, "stop_replication", "prepare_promotion");
  EXPECT_EQ(decide_pgaf_step(nodes, 2, {pgaf_step::follow, "pgautofailover_standby_1"}).step, pgaf_step::promote);
  nodes[1] = node(2, "wait_primary", "stop_replication");
  EXPECT_EQ(decide_pgaf_step(nodes, 2, {}).step, pgaf_step::promote);
  // The old primary is told nothing while it is demoted.
  EXPECT_EQ(decide_pgaf_step(nodes, 1, {}).step, pgaf_step::none);
}

TEST(PgafSource, APromotedNodeIsConfirmedAsPrimaryUnlessTheAgentPromotedItself) {
  // Missed (refused while a copy held the server, the monitor out of
  // reach), or not known (the agent or its reader started again): the
  // node is the primary now; the HA loop says whether it acts as one.
  auto nodes = std::vector{node(1, "demoted", "primary"), node(2, "primary", "wait_primary")};
  auto a = decide_pgaf_step(nodes, 2, {pgaf_step::follow, "pgautofailover_standby_1"});
  EXPECT_EQ(a.step, pgaf_step::confirm_primary);
  EXPECT_NE(a.why.find("goal state primary"), std::string::npos) << a.why;
  EXPECT_EQ(decide_pgaf_step(nodes, 2, {}).step, pgaf_step::confirm_primary);
  EXPECT_EQ(decide_pgaf_step(nodes, 2, {pgaf_step::promote, ""}).step, pgaf_step::none);
  // The first node of a group (single -> wait_primary -> primary), an agent
  // started on a primary: the same question, answered by role auto.
  EXPECT_EQ(decide_pgaf_step({node(1, "wait_primary", "single")}, 1, {}).step, pgaf_step::confirm_primary);
  EXPECT_EQ(decide_pgaf_step({node(1, "primary", "primary")}, 1, {pgaf_step::promote, ""}).step, pgaf_step::none);
  // A primary's goal state that its keeper does not report (a node being
  // created, in maintenance, a dead keeper's server rebuilt): no step.
  EXPECT_EQ(decide_pgaf_step({node(1, "single", "init")}, 1, {}).step, pgaf_step::none);
  EXPECT_EQ(decide_pgaf_step({node(1, "primary", "maintenance"), node(2, "secondary", "secondary")}, 1, {}).step,
            pgaf_step::none);
}

TEST(PgafSource, AStandbyMadeSingleIsPromoted) {
  // pg_autoctl 2.0 makes a standby single at once when the primary is removed.
  EXPECT_EQ(decide_pgaf_step({node(2, "single", "secondary")}, 2, {pgaf_step::follow, "pgautofailover_standby_1"}).step,
            pgaf_step::promote);
  EXPECT_EQ(decide_pgaf_step({node(2, "single", "catchingup")}, 2, {}).step, pgaf_step::promote)
      << "still a standby's report: before the promotion";
}

TEST(PgafSource, AStandbyFollowsThePrimaryOnceEachTimeItChanges) {
  auto nodes = std::vector{node(1, "primary", "primary"), node(2, "secondary", "secondary"),
                           node(3, "catchingup", "catchingup")};
  auto a = decide_pgaf_step(nodes, 3, {});
  EXPECT_EQ(a.step, pgaf_step::follow);
  EXPECT_EQ(a.leader, "pgautofailover_standby_1");
  EXPECT_EQ(decide_pgaf_step(nodes, 3, {pgaf_step::follow, "pgautofailover_standby_1"}).step, pgaf_step::none);
  // After a failover to node 2, also the node that had promoted follows.
  nodes = {node(1, "catchingup", "demoted"), node(2, "primary", "wait_primary"), node(3, "secondary", "secondary")};
  a = decide_pgaf_step(nodes, 3, {pgaf_step::follow, "pgautofailover_standby_1"});
  EXPECT_EQ(a.step, pgaf_step::follow);
  EXPECT_EQ(a.leader, "pgautofailover_standby_2");
  a = decide_pgaf_step(nodes, 1, {pgaf_step::promote, ""});
  EXPECT_EQ(a.step, pgaf_step::follow);
  EXPECT_EQ(a.leader, "pgautofailover_standby_2");
}

TEST(PgafSource, APromotionCalledOffEndsInAFollowWhateverStandbyStateFollows) {
  // Told to promote, then put into maintenance instead: it follows the primary.
  auto a = decide_pgaf_step({node(1, "primary", "primary"), node(3, "maintenance", "wait_maintenance")}, 3,
                            {pgaf_step::promote, ""});
  EXPECT_EQ(a.step, pgaf_step::follow);
  EXPECT_EQ(a.leader, "pgautofailover_standby_1");
  EXPECT_EQ(decide_pgaf_step({node(1, "primary", "primary"), node(3, "join_secondary", "report_lsn")}, 3,
                             {pgaf_step::promote, ""})
                .step,
            pgaf_step::follow);
}

TEST(PgafSource, NoFollowWithoutExactlyOnePrimaryOfThisGroup) {
  // Mid-failover: nobody has a primary's goal state yet.
  EXPECT_EQ(decide_pgaf_step({node(1, "demote_timeout", "draining"), node(2, "stop_replication", "prepare_promotion"),
                              node(3, "catchingup", "secondary")},
                             3, {})
                .step,
            pgaf_step::none);
  // Two at once (a moment of a switchover), or a primary of another group only.
  EXPECT_EQ(decide_pgaf_step({node(1, "primary", "primary"), node(2, "wait_primary", "stop_replication"),
                              node(3, "secondary", "secondary")},
                             3, {})
                .step,
            pgaf_step::none);
  EXPECT_EQ(decide_pgaf_step({node(1, "primary", "primary", 0, 1), node(3, "secondary", "secondary")}, 3, {}).step,
            pgaf_step::none);
  // An election in progress (report_lsn): no step.
  EXPECT_EQ(decide_pgaf_step({node(1, "primary", "primary"), node(3, "report_lsn", "secondary")}, 3, {}).step,
            pgaf_step::none);
  EXPECT_EQ(decide_pgaf_step({node(1, "primary", "primary")}, 3, {}).step, pgaf_step::none) << "not registered";
}

} // namespace
} // namespace slotd::model
