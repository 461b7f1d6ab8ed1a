// pgautofailover.node rows, and the batch that reads them.
#include "pg/queries/pgaf_nodes.hpp"

#include <gtest/gtest.h>

#include "tests/pg/fake_rows.hpp"

namespace slotd::pg::queries {
namespace {

TEST(ParsePgafNodes, ReadsTheColumns) {
  auto r = parse_pgaf_nodes(
      testing::fake_rows({"nodeid", "groupid", "nodename", "nodehost", "nodeport", "goalstate", "reportedstate"},
                         {{"1", "0", "node_1", "10.0.0.1", "5433", "primary", "primary"},
                          {"2", "0", "node_2", "db2.example", "5432", "prepare_promotion", "secondary"}}));
  ASSERT_TRUE(r.ok()) << r.error().what();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].node_id, 1);
  EXPECT_EQ((*r)[0].port, 5433);
  EXPECT_EQ((*r)[1].host, "db2.example");
  EXPECT_EQ((*r)[1].goal_state, "prepare_promotion");
  EXPECT_EQ((*r)[1].reported_state, "secondary");
  EXPECT_FALSE(parse_pgaf_nodes(testing::fake_rows({"nodeid", "groupid", "nodename", "nodehost", "nodeport",
                                                     "goalstate", "reportedstate"},
                                                    {{"x", "0", "n", "h", "5432", "primary", "primary"}}))
                   .ok());
}

TEST(PgafNodesBatch, ListensThenReadsTheFormationQuotedWhateverItHolds) {
  auto b = pgaf_nodes_batch("default");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0], "LISTEN \"state\"");
  EXPECT_NE(b[1].find("formationid = $f$default$f$"), std::string::npos) << b[1];
  EXPECT_NE(pgaf_nodes_batch("a$f$b")[1].find("$f0$a$f$b$f0$"), std::string::npos);
  EXPECT_NE(pgaf_nodes_batch("ends$f")[1].find("$f0$ends$f$f0$ "), std::string::npos);
}

} // namespace
} // namespace slotd::pg::queries
