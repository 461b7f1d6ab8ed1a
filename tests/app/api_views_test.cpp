// The HA loop's typed views rendered as the HTTP API's contract
// (docs/api.md): the JSON of /status, /readiness, /health and /candidate,
// the Prometheus text of /metrics, and the status code of each answer.
#include <gtest/gtest.h>

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "app/api/replies.hpp"
#include "tests/app/prometheus_parser.hpp"

using namespace slotd;
using json = nlohmann::json;

namespace {

pg::lsn at(std::uint64_t v) { return pg::lsn(v); }

std::set<std::string> keys(const json& j) {
  std::set<std::string> out;
  for (auto& [k, v] : j.items())
    out.insert(k);
  return out;
}

// A replica's status: one logical copy behind its leader, one physical slot
// whose figures are unknown, an alert about a slot and one about the node.
actors::status_view replica_status() {
  actors::status_view v;
  v.name = "node2";
  v.scope = "demo";
  v.role = "replica";
  v.leader = "node1";
  v.optime = at(0x3000060);
  v.my_slot_name = "node2";
  actors::slot_view cdc;
  cdc.figures.name = "cdc";
  cdc.figures.type = model::slot_type::logical;
  cdc.figures.behind_leader = model::lag{256, 1.23456, true};
  cdc.figures.confirmed_lag_bytes = 512;
  cdc.lsn = at(0x3000000);
  cdc.database = "app";
  cdc.plugin = "pgoutput";
  cdc.ready = true;
  cdc.shows_behind = true;
  actors::slot_view phys;
  phys.figures.name = "node3";
  phys.figures.type = model::slot_type::physical;
  phys.figures.active = true;
  v.slots = {cdc, phys};
  v.wal_guard.verdict.slots = {{"cdc", 4096, model::retention_level::warn, 1024}};
  v.wal_guard.free_error = "statvfs failed";
  v.alerts = {{"slot keeps 4096 bytes of WAL", "cdc", ""}, {"leader unreachable: refused"}};
  return v;
}

} // namespace

TEST(api_views, status_shows_each_slot_with_nulls_for_unknown_figures) {
  auto j = api::status_json(replica_status());
  EXPECT_EQ(keys(j), (std::set<std::string>{"name", "scope", "role", "leader", "optime", "paused", "restarting", "copy",
                                           "my_slot_name", "slots", "slot_details_error",
                                           "leader_sample_age_seconds", "wal_guard", "alerts", "failover", "as_of"}));
  EXPECT_EQ(j["leader"], "node1");
  EXPECT_EQ(j["optime"], "0/3000060");
  EXPECT_TRUE(j["copy"].is_null());
  EXPECT_TRUE(j["failover"].is_null());
  EXPECT_TRUE(j["leader_sample_age_seconds"].is_null());
  EXPECT_EQ(j["as_of"], "") << "never read: no time";
  auto& cdc = j["slots"]["cdc"];
  EXPECT_EQ(cdc["type"], "logical");
  EXPECT_EQ(cdc["lsn"], "0/3000000");
  EXPECT_EQ(cdc["database"], "app");
  EXPECT_EQ(cdc["ready"], true);
  EXPECT_EQ(cdc["behind_leader"], json::parse(R"({"bytes":256,"seconds":1.235,"seconds_at_least":true})"));
  EXPECT_EQ(cdc["confirmed_lag_bytes"], 512);
  EXPECT_TRUE(cdc["last_active"].is_null()) << "inactive and never seen active";
  EXPECT_FALSE(cdc.contains("consumer"));
  auto& phys = j["slots"]["node3"];
  EXPECT_FALSE(phys.contains("ready")) << "readiness is about logical slots";
  EXPECT_FALSE(phys.contains("behind_leader"));
  EXPECT_FALSE(phys.contains("confirmed_lag_bytes"));
  EXPECT_TRUE(phys.contains("consumer") && phys["consumer"].is_null()) << "active, consumer unknown";
  EXPECT_TRUE(phys["retained_bytes"].is_null());
  EXPECT_EQ(j["wal_guard"]["slots"]["cdc"], json::parse(R"({"kept_bytes":4096,"level":"warn","threshold":1024})"));
  EXPECT_EQ(j["wal_guard"]["free_error"], "statvfs failed");
  EXPECT_TRUE(j["wal_guard"]["free_bytes"].is_null());
  EXPECT_EQ(j["alerts"], json::parse(R"([{"alert":"slot keeps 4096 bytes of WAL","slot":"cdc"},
                                          {"alert":"leader unreachable: refused"}])"));
}

TEST(api_views, status_shows_the_copy_and_the_failover_state) {
  auto v = replica_status();
  v.copy = actors::copy_view{"restarting", {"cdc"}, std::chrono::system_clock::time_point{}, 2};
  actors::failover_view f;
  f.listing = actors::standby_listing_view{false, "node1 leaves node2 out"};
  f.missing_prerequisites = {"hot_standby_feedback"};
  f.slots = {{"cdc", true, true, false, std::nullopt, true}, {"cdc2", false, false, false, std::nullopt, false}};
  v.failover = f;
  auto j = api::status_json(v);
  EXPECT_EQ(j["copy"], json::parse(R"({"phase":"restarting","slots":["cdc"],"started_at":"","start_attempts":2})"));
  auto& fj = j["failover"];
  EXPECT_EQ(fj["in_leader_synchronized_standby_slots"], false);
  EXPECT_EQ(fj["protection_gap"], "node1 leaves node2 out");
  EXPECT_EQ(fj["prerequisites"]["missing"], json::array({"hot_standby_feedback"}));
  EXPECT_EQ(fj["slots"]["cdc"], json::parse(R"({"present":true,"synced":true,"temporary":false,
                                                "invalidation_reason":null,"ready":true})"));
  EXPECT_EQ(fj["slots"]["cdc2"], json::parse(R"({"present":false,"ready":false})"));
  EXPECT_FALSE(fj.contains("error"));

  // A primary: the setting it keeps, no slots or prerequisites of its own.
  actors::failover_view p;
  p.leads = true;
  p.standby = actors::standby_slots_view{"node2", 1, 12.3456, actors::standby_slots_view::choice{{"node2"}, {}, {}}};
  v.failover = p;
  auto pj = api::status_json(v)["failover"];
  EXPECT_EQ(pj["synchronized_standby_slots"], "node2");
  EXPECT_EQ(pj["reduced_protection_seconds_total"], 12.346);
  EXPECT_EQ(pj["streaming"], json::array({"node2"}));
  EXPECT_FALSE(pj.contains("prerequisites"));
  EXPECT_FALSE(pj.contains("slots"));
}

TEST(api_views, readiness_is_503_until_ready_and_says_why) {
  actors::readiness_view r;
  r.role = "replica";
  r.unready = {"cdc"};
  r.reasons = {{"cdc", "the primary's slot for this node holds no catalog_xmin"}};
  r.pending = {{"cdc", std::nullopt}, {"cdc2", pg::xid(700)}};
  auto reply = api::to_api_reply(r);
  EXPECT_EQ(reply.status, 503);
  auto j = json::parse(reply.body);
  EXPECT_EQ(j["ready"], false);
  EXPECT_EQ(j["unready"], json::array({"cdc"}));
  EXPECT_EQ(j["pending"], json::parse(R"({"cdc":null,"cdc2":700})"));
  EXPECT_FALSE(j.contains("reason"));
  EXPECT_FALSE(j.contains("failover_slots"));

  actors::readiness_view primary;
  primary.role = "primary";
  primary.ready = primary.leads = true;
  auto pr = api::to_api_reply(primary);
  EXPECT_EQ(pr.status, 200);
  EXPECT_EQ(keys(json::parse(pr.body)), (std::set<std::string>{"role", "as_of", "ready", "unready"}));
}

TEST(api_views, health_says_why_only_when_something_is_wrong) {
  actors::health_view h{true, true, 7, "replica", ""};
  auto ok = api::to_api_reply(h);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(json::parse(ok.body), json::parse(R"({"ok":true,"loop_runs":true,"cycles":7,"role":"replica"})"));
  h.ok = false;
  h.detail = "local server unreachable: refused";
  auto down = api::to_api_reply(h);
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(json::parse(down.body)["detail"], "local server unreachable: refused");
}

TEST(api_views, candidate_shows_its_verdict_and_where_the_members_answer) {
  actors::candidate_view c;
  c.name = "node2";
  c.role = "replica";
  c.leader = "node1";
  c.verdict.reasons = {"cdc: not ready"};
  model::candidate_slot s;
  s.name = "cdc";
  s.reason = "not ready";
  s.present = true;
  c.verdict.slots = {s};
  c.members = {{"node1", {"127.0.0.1:8008", false}}, {"node3", {std::nullopt, true}}};
  auto j = api::candidate_json(c);
  EXPECT_EQ(j["loses_nothing"], false);
  EXPECT_EQ(j["slots"]["cdc"]["reason"], "not ready");
  EXPECT_TRUE(j["slots"]["cdc"]["bytes_behind"].is_null());
  EXPECT_TRUE(j["leader_sample"].is_null());
  EXPECT_TRUE(j["timeline"].is_null());
  EXPECT_EQ(j["members"], json::parse(R"({"node1":{"api":"127.0.0.1:8008","nofailover":false},
                                          "node3":{"api":null,"nofailover":true}})"));
}

TEST(api_views, metrics_are_prometheus_text_and_every_answer_has_its_status) {
  prometheus::Registry registry;
  prometheus::BuildGauge().Name("slotd_paused").Help("1 while paused.").Register(registry).Add({}).Set(1);
  actors::metrics_view m{registry.Collect()};
  auto reply = api::render(actors::api_answer{m});
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, api::metrics_content_type);
  auto parsed = slotd::testing::parse_exposition(reply.body);
  EXPECT_TRUE(parsed.problems.empty()) << ::testing::PrintToString(parsed.problems) << "\n" << reply.body;
  ASSERT_EQ(parsed.samples.size(), 1u) << reply.body;
  EXPECT_EQ(parsed.samples[0].name, "slotd_paused");
  EXPECT_EQ(parsed.samples[0].value, 1);
  EXPECT_EQ(parsed.types["slotd_paused"], "gauge");

  EXPECT_EQ(api::render(actors::api_answer{replica_status()}).status, 200);
  EXPECT_EQ(api::render(actors::api_answer{actors::readiness_view{}}).status, 503);
  auto failed = api::render(actors::api_answer{actors::api_failure{actors::refusal::unavailable, "gone"}});
  EXPECT_EQ(failed.status, 503);
  EXPECT_EQ(json::parse(failed.body)["error"], "gone");
  auto state = api::render(actors::api_answer{actors::state_reply{json{{"ha_loop", {{"cycles", 3}}}}}});
  EXPECT_EQ(state.status, 200);
  EXPECT_EQ(json::parse(state.body)["ha_loop"]["cycles"], 3);
}

TEST(api_views, final_positions_and_the_cluster_view_are_typed_until_rendered) {
  actors::final_positions_reply f;
  f.name = "node1";
  f.cluster_state = "shut down";
  f.clean_shutdown = true;
  f.checkpoint_lsn = at(0x5000028);
  f.slots["cdc"] = model::final_position{at(0x4000000), std::nullopt, true};
  auto reply = api::to_api_reply(f);
  EXPECT_EQ(reply.status, 200);
  auto j = json::parse(reply.body);
  EXPECT_EQ(j["checkpoint_lsn"], "0/5000028");
  EXPECT_EQ(j["clean_shutdown"], true);
  EXPECT_EQ(j["slots"]["cdc"], json::parse(R"({"confirmed_flush_lsn":"0/4000000","restart_lsn":null,
                                               "source":"last sample"})"));
  f.refused = actors::refusal::busy;
  f.error = "this node is not the primary";
  EXPECT_EQ(api::to_api_reply(f).status, 409);

  actors::cluster_update_reply u;
  model::member m;
  m.name = "node1";
  m.host = "10.0.0.1";
  m.port = 5432;
  u.view.members["node1"] = m;
  auto view = json::parse(api::to_api_reply(u).body);
  EXPECT_EQ(view["members"]["node1"]["host"], "10.0.0.1");
  EXPECT_EQ(view["members"]["node1"]["port"], 5432);
}
