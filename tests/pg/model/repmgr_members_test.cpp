// members_from: repmgr: repmgr.nodes rows to the cluster view's members.
#include "pg/model/repmgr_members.hpp"

#include <gtest/gtest.h>

namespace slotd::model {
namespace {

repmgr_node node(int id, std::string name, std::string type, std::optional<int> upstream, std::string host,
                 std::optional<int> port = std::nullopt) {
  repmgr_node n;
  n.node_id = id;
  n.node_name = std::move(name);
  n.type = std::move(type);
  n.upstream_node_id = upstream;
  n.host = std::move(host);
  n.port = port;
  return n;
}

TEST(MembersFromRepmgr, EachNodeIsAMemberNamedByItsNodeName) {
  auto got = members_from_repmgr({node(1, "node1", "primary", std::nullopt, "10.0.0.1", 5433),
                                  node(2, "node2", "standby", 1, "10.0.0.2"), node(3, "db-3", "standby", 1, "h3")},
                                 {});
  EXPECT_TRUE(got.problems.empty());
  ASSERT_EQ(got.members.size(), 3u);
  EXPECT_EQ(got.members["node1"].host, "10.0.0.1");
  EXPECT_EQ(got.members["node1"].port, 5433);
  EXPECT_EQ(got.members["node2"].port, 5432) << "conninfo without port: libpq's default";
  EXPECT_EQ(got.members["db-3"].name, "db-3");
  EXPECT_EQ(got.members["node2"].tags.replicatefrom, std::nullopt) << "a standby of the primary is no cascade";
  EXPECT_FALSE(got.members["node2"].tags.nofailover);
  EXPECT_FALSE(got.members["node2"].api.has_value()) << "no api_port: no API address";
}

TEST(MembersFromRepmgr, AStandbyOfAStandbyReplicatesFromIt) {
  auto got = members_from_repmgr({node(1, "a", "primary", std::nullopt, "h1"), node(2, "b", "standby", 1, "h2"),
                                  node(3, "c", "standby", 2, "h3"), node(4, "d", "standby", 99, "h4")},
                                 {});
  EXPECT_EQ(got.members["c"].tags.replicatefrom, "b");
  EXPECT_EQ(got.members["d"].tags.replicatefrom, std::nullopt) << "an upstream that is not registered";
}

TEST(MembersFromRepmgr, WitnessesAreNeverPromotedAndPriorityIsNotMapped) {
  auto witness = node(3, "w", "witness", 1, "h3");
  auto got = members_from_repmgr({node(1, "a", "primary", std::nullopt, "h1"), node(2, "b", "standby", 1, "h2"), witness},
                                 {});
  EXPECT_TRUE(got.members["w"].tags.nofailover);
  EXPECT_TRUE(got.members["w"].tags.nostream) << "a witness streams from nobody: no slot for it";
  EXPECT_EQ(got.members["w"].tags.replicatefrom, std::nullopt);
  EXPECT_FALSE(got.members["b"].tags.nofailover)
      << "repmgr's priority 0 only keeps a node out of repmgrd's election: a manual promote still takes it";
}

TEST(MembersFromRepmgr, InactiveNodesStayMembers) {
  auto failed = node(1, "a", "primary", std::nullopt, "h1");
  failed.active = false;
  auto got = members_from_repmgr({failed, node(2, "b", "primary", std::nullopt, "h2")}, {});
  EXPECT_TRUE(got.members.contains("a")) << "a failed primary keeps its slot for its rejoin";
  EXPECT_TRUE(got.members.contains("b"));
}

TEST(MembersFromRepmgr, ApiPortGivesEachMemberItsApi) {
  repmgr_member_options opts;
  opts.api_port = 8010;
  auto got = members_from_repmgr({node(1, "a", "primary", std::nullopt, "10.0.0.1"),
                                  node(2, "b", "standby", 1, "fd00::2")},
                                 opts);
  EXPECT_EQ(got.members["a"].api, "http://10.0.0.1:8010");
  EXPECT_EQ(got.members["b"].api, "http://[fd00::2]:8010");
}

bool has_problem(const repmgr_members& got, const std::string& a, const std::string& b) {
  for (const auto& p : got.problems)
    if (p.find(a) != std::string::npos && p.find(b) != std::string::npos)
      return true;
  return false;
}

TEST(MembersFromRepmgr, NodesNoOtherNodeCouldReachAreLeftOutWithTheReason) {
  auto socket = node(2, "sock", "standby", 1, "");
  auto dir = node(3, "dir", "standby", 1, "/var/run/postgresql");
  auto bad = node(5, "bad", "standby", 1, "");
  bad.conninfo_problem = "missing \"=\" after \"x\"";
  auto unnamed = node(7, "", "standby", 1, "h7");
  auto got = members_from_repmgr({node(1, "a", "primary", std::nullopt, "h1"), socket, dir, bad, unnamed}, {});
  ASSERT_EQ(got.members.size(), 1u);
  ASSERT_EQ(got.problems.size(), 4u);
  EXPECT_TRUE(has_problem(got, "repmgr node 2 ('sock')", "names no host"));
  EXPECT_TRUE(has_problem(got, "repmgr node 3 ('dir')", "is a Unix socket"));
  EXPECT_TRUE(has_problem(got, "repmgr node 5 ('bad')", "cannot be read: missing"));
  EXPECT_TRUE(has_problem(got, "repmgr node 7", "no node_name"));
}

TEST(MembersFromRepmgr, OfTwoRecordsWithOneNameTheActiveThenTheHighestNodeIdIsUsed) {
  auto rebuilt = node(1, "a", "standby", 2, "new-host");
  auto old_record = node(4, "a", "primary", std::nullopt, "old-host");
  old_record.active = false;
  auto got = members_from_repmgr({rebuilt, node(2, "b", "primary", std::nullopt, "h2"), old_record}, {});
  EXPECT_EQ(got.members["a"].host, "new-host") << "the active record, whatever its node_id";
  EXPECT_TRUE(has_problem(got, "repmgr node 4 ('a')", "another record has this node_name"));

  auto both_active = members_from_repmgr({node(1, "a", "standby", 2, "first"), node(2, "b", "primary", std::nullopt, "h2"),
                                          node(5, "a", "standby", 2, "last")},
                                         {});
  EXPECT_EQ(both_active.members["a"].host, "last") << "both active: the highest node_id";

  auto unusable = node(6, "a", "standby", 2, "");
  auto left = members_from_repmgr({node(1, "a", "standby", 2, "first"), node(2, "b", "primary", std::nullopt, "h2"),
                                   unusable},
                                  {});
  EXPECT_FALSE(left.members.contains("a")) << "the record used has no host: the name is left out, not the stale one used";
  EXPECT_TRUE(has_problem(left, "repmgr node 6 ('a')", "names no host"));
}

TEST(MembersFromRepmgr, NamesThatGiveOneSlotNameKeepTheHighestNodeId) {
  auto inactive = node(2, "db_1", "standby", 1, "h2");
  inactive.active = false;
  auto got = members_from_repmgr({node(1, "db-1", "primary", std::nullopt, "h1"), inactive,
                                  node(3, "db3", "standby", 1, "h3")},
                                 {});
  EXPECT_EQ(got.members.size(), 2u);
  EXPECT_TRUE(got.members.contains("db_1")) << "the highest node_id, active or not (no flip when active changes)";
  EXPECT_TRUE(got.members.contains("db3"));
  EXPECT_TRUE(has_problem(got, "repmgr node 1 ('db-1')", "slot name db_1 is also that of 'db_1'"));

  auto witness = members_from_repmgr({node(1, "db-1", "primary", std::nullopt, "h1"), node(2, "db_1", "witness", 1, "h2")},
                                     {});
  EXPECT_EQ(witness.members.size(), 2u) << "a witness has no slot: no clash";
}

} // namespace
} // namespace slotd::model
