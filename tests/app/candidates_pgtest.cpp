// GET /candidate and slotctl candidate / candidates on real servers: the
// verdict of one node when its leader is dead, and every member's verdict
// ranked, with a member whose agent does not answer.
#include "tests/app/api_fixture.hpp"

using namespace slotd;
using namespace slotd::testing;

namespace {

// Writes in app and consumes the leader's slot cdc: its confirmed_flush_lsn
// moves; returns it.
std::string move_leader_slot(node& primary) {
  primary.exec("CREATE TABLE IF NOT EXISTS candidate_t (i int)", "app");
  primary.exec("INSERT INTO candidate_t SELECT generate_series(1, 100)", "app");
  primary.exec("SELECT count(*) FROM pg_logical_slot_get_changes('cdc', NULL, NULL)", "app");
  return primary.scalar("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = 'cdc'").value();
}

} // namespace

TEST(candidate, answers_from_the_last_samples_when_the_leader_is_dead) {
  api_env e({.replicas = 1});
  e.start_pair();
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  int port = e.serve("node2");
  ASSERT_TRUE(eventually([&] { return slotctl(port, {"candidate"}).exit == 0; }, 60s))
      << slotctl(port, {"candidate"}).out;

  auto leader_lsn = move_leader_slot(e.c.primary());
  ASSERT_TRUE(eventually(
      [&] {
        auto j = slotctl(port, {"candidate"}).out_json();
        return j.is_object() && j["slots"]["cdc"]["lsn"] == leader_lsn && j["slots"]["cdc"]["leader_lsn"] == leader_lsn;
      },
      30s))
      << slotctl(port, {"candidate"}).out << "\nleader's cdc at " << leader_lsn;

  e.c.primary().kill9();
  ASSERT_TRUE(eventually(
      [&] {
        auto j = slotctl(port, {"candidate"}).out_json();
        return j.is_object() && j["leader_sample"].is_object() && j["leader_sample"]["error"].is_string();
      },
      30s))
      << slotctl(port, {"candidate"}).out;
  std::this_thread::sleep_for(1500ms);

  auto r = slotctl(port, {"candidate"});
  EXPECT_EQ(r.exit, 0) << "a ready copy stays ready when the leader dies: " << r.out << r.err;
  auto j = r.out_json();
  EXPECT_EQ(j["name"], "node2");
  EXPECT_EQ(j["role"], "replica");
  EXPECT_EQ(j["leader"], "node1");
  EXPECT_EQ(j["loses_nothing"], true);
  EXPECT_EQ(j["reasons"], json::array());
  EXPECT_EQ(j["copying"], false);
  EXPECT_EQ(j["restarting"], false);
  EXPECT_TRUE(j["replay_lsn"].is_string()) << j.dump();
  EXPECT_TRUE(j["receive_lsn"].is_string()) << "the WAL receiver ran: its last position stays" << j.dump();
  const auto& cdc = j["slots"]["cdc"];
  EXPECT_EQ(cdc["ready"], true);
  EXPECT_EQ(cdc["present"], true);
  EXPECT_EQ(cdc["lost"], false);
  EXPECT_EQ(cdc["lsn"], leader_lsn);
  EXPECT_EQ(cdc["leader_lsn"], leader_lsn) << "the leader's last known position";
  EXPECT_EQ(cdc["bytes_behind"], 0);
  EXPECT_EQ(cdc["seconds_behind"], 0);
  EXPECT_EQ(j["leader_sample"]["leader"], "node1");
  EXPECT_GE(j["leader_sample"]["age_seconds"].get<double>(), 1.0) << "it says how old the sample is";
  EXPECT_TRUE(j["leader_sample"]["as_of"].is_string());

  // The same answer over HTTP is a 200 whatever the verdict.
  EXPECT_EQ(e.get("/candidate").status, 200);
}

TEST(candidate, a_node_that_does_not_know_its_role_loses_and_says_why) {
  api_env e({.replicas = 1});
  e.start_pair(config::start_role::wait);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  int port = e.serve("node2");
  auto r = slotctl(port, {"candidate"});
  EXPECT_EQ(r.exit, 1) << r.out << r.err;
  auto j = r.out_json();
  EXPECT_EQ(j["loses_nothing"], false);
  ASSERT_TRUE(j["reasons"].is_array() && !j["reasons"].empty()) << j.dump();
  EXPECT_EQ(slotctl(port, {"candidate", "--timeout", "soon"}).exit, 2);
  EXPECT_EQ(slotctl(free_port(), {"candidate"}).exit, 3);
}

// Three agents (a primary, a ready replica, a replica that does not know its
// role) and a fourth member whose agent does not answer.
TEST(candidates, ranks_every_member_and_lists_the_one_that_does_not_answer) {
  cluster c({.replicas = 2});
  auto view = view_of(c, {logical_slot("cdc", "app", "test_decoding")});
  agents a;
  actors::io_runtime io;
  std::map<std::string, std::unique_ptr<api::api_service>> apis;
  a.start(c.primary(), view);
  ASSERT_TRUE(eventually([&] { return slots_of(c.primary()).contains("cdc"); }));
  a.start(c.replica(0), view);
  a.start(c.replica(1), view, {.role = config::start_role::wait});
  std::map<std::string, int> ports;
  for (auto name : {"node1", "node2", "node3"}) {
    api::server_options o;
    o.listen = {"127.0.0.1", 0};
    apis[name] = std::make_unique<api::api_service>(a.system(), io, a.of(name), o);
    ports[name] = apis[name]->port();
  }
  int silent = free_port();
  auto url = [](int port) { return "http://127.0.0.1:" + std::to_string(port); };

  // node1's view learns where every agent answers (PUT /cluster).
  json members = json::object();
  for (std::size_t i = 0; i < c.size(); ++i)
    members[c.at(i).name()] = {{"host", "127.0.0.1"}, {"port", c.at(i).port()}, {"api", url(ports[c.at(i).name()])}};
  members["node4"] = {{"host", "127.0.0.1"}, {"port", silent}, {"api", url(silent)}};
  auto put = http_call(ports["node1"], "PUT", "/cluster", json{{"members", members}}.dump(),
                       {{"Content-Type", "application/json"}});
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(json::parse(put.body)["members"]["node2"]["api"], url(ports["node2"]));

  ASSERT_TRUE(eventually([&] { return slotctl(ports["node2"], {"candidate"}).exit == 0; }, 60s))
      << slotctl(ports["node2"], {"candidate"}).out;

  auto r = slotctl(ports["node1"], {"candidates", "--json"});
  ASSERT_EQ(r.exit, 0) << r.out << r.err;
  auto j = r.out_json();
  EXPECT_EQ(j["choice"], "node2");
  std::vector<std::string> order;
  for (auto& m : j["candidates"])
    order.push_back(m["name"]);
  EXPECT_EQ(order, (std::vector<std::string>{"node2", "node3", "node1", "node4"})) << j.dump(2);
  auto& list = j["candidates"];
  EXPECT_EQ(list[0]["rank"], 1);
  EXPECT_EQ(list[0]["verdict"], "loses nothing");
  EXPECT_TRUE(list[0]["received_lsn"].is_string());
  EXPECT_EQ(list[1]["rank"], 2);
  EXPECT_EQ(list[1]["verdict"], "loses");
  EXPECT_EQ(list[2]["verdict"], "leader");
  EXPECT_TRUE(list[2]["rank"].is_null());
  EXPECT_EQ(list[3]["reachable"], false);
  EXPECT_EQ(list[3]["verdict"], "unreachable");
  EXPECT_NE(list[3]["error"].get<std::string>().find("cannot connect"), std::string::npos) << list[3].dump();

  auto table = slotctl(ports["node1"], {"candidates"});
  EXPECT_EQ(table.exit, 0) << table.err;
  EXPECT_NE(table.out.find("choose: node2"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("unreachable"), std::string::npos) << table.out;

  // --members instead of the view: without node2 nobody can be chosen.
  auto without = slotctl(ports["node1"], {"candidates", "--json", "--members",
                                          "node1=" + url(ports["node1"]) + ",node3=" + url(ports["node3"])});
  EXPECT_EQ(without.exit, 1) << without.out;
  EXPECT_TRUE(without.out_json()["choice"].is_null()) << without.out;
  EXPECT_EQ(without.out_json()["candidates"].size(), 2u);
  // An address that answers as another member is not taken for it.
  auto wrong = slotctl(ports["node1"], {"candidates", "--json", "--members", "node2=" + url(ports["node3"])});
  EXPECT_EQ(wrong.exit, 1);
  EXPECT_NE(wrong.out.find("is node3, not node2"), std::string::npos) << wrong.out;

  EXPECT_EQ(slotctl(ports["node1"], {"candidates", "--members", "node2"}).exit, 2);
  EXPECT_EQ(slotctl(ports["node1"], {"candidates", "--members", "node2=https://x:1"}).exit, 2);
  EXPECT_EQ(slotctl(silent, {"candidates"}).exit, 3) << "the --api agent must answer to name the members";

  for (auto& [name, api] : apis)
    api->stop();
}
