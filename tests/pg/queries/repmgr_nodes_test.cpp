// repmgr.nodes rows: each conninfo's host and port, as libpq would connect.
#include "pg/queries/repmgr_nodes.hpp"

#include <gtest/gtest.h>

#include "tests/pg/fake_rows.hpp"

namespace slotd::pg::queries {
namespace {

std::vector<model::repmgr_node> parse(const std::vector<std::optional<std::string>>& conninfos) {
  std::vector<std::vector<std::optional<std::string>>> data;
  int id = 1;
  for (const auto& c : conninfos)
    data.push_back({std::to_string(id++), std::nullopt, "t", "node", "standby", c});
  auto r = parse_repmgr_nodes(
      testing::fake_rows({"node_id", "upstream_node_id", "active", "node_name", "type", "conninfo"}, data));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().what());
  return r.ok() ? *r : std::vector<model::repmgr_node>{};
}

TEST(ParseRepmgrNodes, ReadsTheColumnsAndTheConninfosAddress) {
  auto r = parse_repmgr_nodes(testing::fake_rows(
      {"node_id", "upstream_node_id", "active", "node_name", "type", "conninfo"},
      {{"3", "1", "f", "db3", "standby", "host=10.0.0.3 port=5433 user=repmgr dbname=repmgr connect_timeout=2"},
       {"1", std::nullopt, "t", "db1", "primary", "postgresql://repmgr@10.0.0.1/repmgr"}}));
  ASSERT_TRUE(r.ok()) << r.error().what();
  ASSERT_EQ(r->size(), 2u);
  auto& a = (*r)[0];
  EXPECT_EQ(a.node_id, 3);
  EXPECT_EQ(a.upstream_node_id, 1);
  EXPECT_FALSE(a.active);
  EXPECT_EQ(a.node_name, "db3");
  EXPECT_EQ(a.type, "standby");
  EXPECT_EQ(a.host, "10.0.0.3");
  EXPECT_EQ(a.port, 5433);
  auto& b = (*r)[1];
  EXPECT_EQ(b.upstream_node_id, std::nullopt);
  EXPECT_EQ(b.host, "10.0.0.1") << "URI form";
  EXPECT_EQ(b.port, std::nullopt) << "no port: libpq's default";
}

TEST(ParseRepmgrNodes, TakesTheAddressLibpqConnectsTo) {
  auto n = parse({"host=h1,h2 port=5433,5434", "host=/var/run/postgresql hostaddr=10.0.0.9",
                  "host=db.example hostaddr=10.0.0.8", "dbname=repmgr", "host=h port=x", "host='unterminated",
                  "host=@abstract hostaddr=10.0.0.7"});
  ASSERT_EQ(n.size(), 7u);
  EXPECT_EQ(n[6].host, "10.0.0.7") << "an abstract socket with a hostaddr: TCP to the hostaddr";
  EXPECT_EQ(n[0].host, "h1") << "the first host of a list";
  EXPECT_EQ(n[0].port, 5433);
  EXPECT_EQ(n[1].host, "10.0.0.9") << "a socket directory with a hostaddr: TCP to the hostaddr";
  EXPECT_EQ(n[2].host, "db.example") << "a host name with its address: the name";
  EXPECT_EQ(n[3].host, "") << "no host at all: a Unix socket";
  EXPECT_NE(n[4].conninfo_problem.find("not a number"), std::string::npos);
  EXPECT_FALSE(n[5].conninfo_problem.empty()) << "a conninfo libpq cannot parse";
}

} // namespace
} // namespace slotd::pg::queries
