// The API's routing and request checks without a server (docs/api.md).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "app/api/replies.hpp"
#include "app/api/routes.hpp"
#include "tests/app/prometheus_parser.hpp"

using namespace slotd;
using slotd::api::auth_policy;
using slotd::api::http_request_parts;

namespace {

api::route_result call(std::string_view method, std::string_view target, std::string_view body = "",
                       std::string_view content_type = "application/json", std::string_view authorization = "",
                       const auth_policy& auth = {}) {
  return api::route(http_request_parts{method, target, content_type, authorization, body}, auth);
}

// The immediate answer (an error), or status 0 when routed to the gateway.
api::api_reply answer(const api::route_result& r) {
  if (auto* a = std::get_if<api::api_reply>(&r))
    return *a;
  return {0, "", ""};
}

std::string error_of(const api::route_result& r) {
  auto j = nlohmann::json::parse(answer(r).body, nullptr, false);
  return j.is_object() && j.contains("error") ? j["error"].get<std::string>() : "";
}

actors::api_command command(const api::route_result& r) {
  auto* c = std::get_if<actors::api_command>(&r);
  EXPECT_NE(c, nullptr) << answer(r).body;
  return c ? *c : actors::api_command{actors::api_read::status};
}

} // namespace

TEST(api_routes, reads_route_to_their_commands) {
  EXPECT_EQ(std::get<actors::api_read>(command(call("GET", "/state")).what), actors::api_read::state);
  EXPECT_EQ(std::get<actors::api_read>(command(call("GET", "/status")).what), actors::api_read::status);
  EXPECT_EQ(std::get<actors::api_read>(command(call("GET", "/status?verbose=1")).what), actors::api_read::status);
  EXPECT_EQ(std::get<actors::api_read>(command(call("GET", "/readiness")).what), actors::api_read::readiness);
  EXPECT_EQ(std::get<actors::api_read>(command(call("GET", "/candidate")).what), actors::api_read::candidate);
  EXPECT_EQ(std::get<actors::api_read>(command(call("GET", "/health")).what), actors::api_read::health);
  EXPECT_EQ(std::get<actors::api_read>(command(call("GET", "/metrics")).what), actors::api_read::metrics);
  EXPECT_EQ(std::get<actors::api_read>(command(call("HEAD", "/health")).what), actors::api_read::health);
  EXPECT_EQ(std::get<actors::api_read>(command(call("HEAD", "/readiness")).what), actors::api_read::readiness);
}

TEST(api_routes, events_take_since_and_refuse_anything_else) {
  EXPECT_EQ(std::get<actors::events_request>(command(call("GET", "/events")).what).since, 0u);
  EXPECT_EQ(std::get<actors::events_request>(command(call("GET", "/events?since=42")).what).since, 42u);
  EXPECT_EQ(std::get<actors::events_request>(command(call("GET", "/events?since=0&")).what).since, 0u);
  EXPECT_EQ(std::get<actors::events_request>(command(call("GET", "/events?since=18446744073709551615")).what).since,
            18446744073709551615ull);
  for (auto bad : {"/events?since=", "/events?since=-1", "/events?since=x", "/events?since=18446744073709551616",
                   "/events?since=+1", "/events?since=1x"}) {
    EXPECT_EQ(answer(call("GET", bad)).status, 400) << bad;
    EXPECT_NE(error_of(call("GET", bad)).find("since must be an event number"), std::string::npos) << bad;
  }
  EXPECT_EQ(answer(call("GET", "/events?limit=5")).status, 400);
  EXPECT_NE(error_of(call("GET", "/events?limit=5")).find("unknown parameter 'limit'"), std::string::npos);
  EXPECT_EQ(answer(call("POST", "/events")).status, 405);
}

TEST(api_replies, events_are_json_lines_with_their_rule) {
  actors::events_reply r;
  r.node = "node2";
  r.next = 7;
  r.missed = 2;
  model::audit_event e;
  e.seq = 7;
  e.at = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 50);
  e.node = "node2";
  e.actor = "advance_worker app";
  e.action = model::audit_action::advance;
  e.slot = "cdc";
  e.before = pg::lsn(0x1000000);
  e.after = pg::lsn(0x1000100);
  e.rule = "§4.5 advancing (to the leader's position)";
  e.advances = 3;
  r.events.push_back(e);
  auto a = api::to_api_reply(r);
  EXPECT_EQ(a.status, 200);
  auto j = nlohmann::json::parse(a.body);
  EXPECT_EQ(j["node"], "node2");
  EXPECT_EQ(j["next"], 7);
  EXPECT_EQ(j["missed"], 2);
  auto& ev = j["events"].at(0);
  EXPECT_EQ(ev["seq"], 7);
  EXPECT_EQ(ev["action"], "advance");
  EXPECT_EQ(ev["slot"], "cdc");
  EXPECT_EQ(ev["before"], "0/1000000");
  EXPECT_EQ(ev["after"], "0/1000100");
  EXPECT_EQ(ev["advances"], 3);
  EXPECT_EQ(ev["rule"], "§4.5 advancing (to the leader's position)");
  EXPECT_EQ(ev["time"].get<std::string>().substr(0, 4), "2019");
  // A node-wide event: no slot, no positions, no advance count.
  e.action = model::audit_action::promote;
  e.slot.clear();
  e.before.reset();
  e.after.reset();
  r.events = {e};
  auto p = nlohmann::json::parse(api::to_api_reply(r).body)["events"].at(0);
  EXPECT_TRUE(p["slot"].is_null());
  EXPECT_TRUE(p["before"].is_null());
  EXPECT_FALSE(p.contains("advances"));
}

TEST(api_routes, the_access_log_shows_no_query_string) {
  EXPECT_EQ(api::path_of("/status?token=s3cret"), "/status");
  EXPECT_EQ(api::path_of("/status"), "/status");
  EXPECT_EQ(api::loggable_target("/status?token=s3cret&x=1"), "/status?…");
  EXPECT_EQ(api::loggable_target("/status?"), "/status?…");
  EXPECT_EQ(api::loggable_target("/status"), "/status");
  EXPECT_EQ(api::loggable_target("?token=s3cret"), "?…");
}

// Bytes that are not UTF-8 (0xE9: 'é' in Latin-1) anywhere in a request
// never make an answer throw: they come back replaced (U+FFFD), as JSON.
TEST(api_routes, text_that_is_not_utf8_is_answered_without_throwing) {
  const std::string e9 = "\xE9";
  struct request {
    std::string method, target, body, content_type;
    int status;
  };
  const std::vector<request> requests{
      {"GET", "/caf" + e9 + "?q=" + e9, "", "", 404},
      {"P" + e9, "/status", "", "", 405},
      {"POST", "/pause", "{}", "text/" + e9, 415},
      {"POST", "/demote", "{\"leader\":\"" + e9 + "\"}", "application/json", 400},
      {"POST", "/promote", R"({"timeout":["\u00e9"]})", "application/json", 400},
      {"POST", "/demote", R"({"leader":{"\u00e9":1}})", "application/json", 400},
  };
  for (const auto& r : requests) {
    SCOPED_TRACE(r.method + " " + r.target + " " + r.body);
    api::route_result routed;
    ASSERT_NO_THROW(routed = call(r.method, r.target, r.body, r.content_type));
    auto a = answer(routed);
    EXPECT_EQ(a.status, r.status) << a.body;
    auto j = nlohmann::json::parse(a.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << a.body;
  }
}

TEST(api_routes, promote_timeout_default_and_given) {
  EXPECT_EQ(std::get<actors::promote_request>(command(call("POST", "/promote")).what).timeout,
            std::chrono::seconds(30));
  EXPECT_EQ(std::get<actors::promote_request>(command(call("POST", "/promote", "{}")).what).timeout,
            std::chrono::seconds(30));
  EXPECT_EQ(std::get<actors::promote_request>(command(call("POST", "/promote", R"({"timeout":"1500ms"})")).what).timeout,
            std::chrono::milliseconds(1500));
}

TEST(api_routes, promote_rejects_bad_timeouts_saying_why) {
  for (auto body : {R"({"timeout":"30"})", R"({"timeout":30})", R"({"timeout":"-1s"})", R"({"timeout":"0s"})",
                    R"({"timeout":"1y"})", R"({"timeout":null})", R"({"timeout":"1.5s"})"}) {
    auto r = call("POST", "/promote", body);
    EXPECT_EQ(answer(r).status, 400) << body;
    EXPECT_NE(error_of(r).find("timeout"), std::string::npos) << body << ": " << error_of(r);
  }
  EXPECT_NE(error_of(call("POST", "/promote", R"({"timout":"5s"})")).find("unknown key 'timout'"), std::string::npos);
}

TEST(api_routes, demote_needs_a_leader_name) {
  EXPECT_EQ(std::get<actors::demote_request>(command(call("POST", "/demote", R"({"leader":"node1"})")).what).leader,
            "node1");
  EXPECT_NE(error_of(call("POST", "/demote", "")).find("needs a JSON object"), std::string::npos);
  EXPECT_NE(error_of(call("POST", "/demote", "{}")).find("missing \"leader\""), std::string::npos);
  EXPECT_NE(error_of(call("POST", "/demote", R"({"leader":1})")).find("leader must be"), std::string::npos);
  EXPECT_NE(error_of(call("POST", "/demote", R"({"leader":""})")).find("leader must be"), std::string::npos);
  EXPECT_NE(error_of(call("POST", "/demote", R"({"leader":"a","x":1})")).find("unknown key 'x'"), std::string::npos);
}

TEST(api_routes, malformed_json_is_400_with_position) {
  for (auto body : {"{", R"({"leader": "node1")", "nul", "[1,2", "\xff\xfe", R"({"leader": "\ud800"})"}) {
    auto r = call("POST", "/demote", body);
    EXPECT_EQ(answer(r).status, 400) << body;
    EXPECT_NE(error_of(r).find("malformed JSON"), std::string::npos) << error_of(r);
  }
  EXPECT_NE(error_of(call("POST", "/promote", "[1]")).find("must be a JSON object, not array"), std::string::npos);
}

TEST(api_routes, cluster_body_is_checked_with_positions) {
  auto ok = command(call("PUT", "/cluster", R"({"slots":{"cdc":{"type":"logical","database":"app","plugin":"pgoutput"}}})"));
  auto& u = std::get<actors::cluster_update_request>(ok.what).update;
  ASSERT_TRUE(u.slots);
  EXPECT_TRUE(u.slots->contains("cdc"));
  EXPECT_FALSE(u.members);
  for (auto body : {R"({"slots":{"bad\"name":{"type":"physical"}}})",
                    R"({"slots":{"x'); DROP DATABASE app;--":{"type":"physical"}}})",
                    R"({"slots":{"UPPER":{"type":"physical"}}})", R"({"member_slots_ttl":"30"})",
                    R"({"members":"node1"})", R"({"no_such_key":1})", "members: {}"}) {
    auto r = call("PUT", "/cluster", body);
    EXPECT_EQ(answer(r).status, 400) << body;
    EXPECT_FALSE(error_of(r).empty()) << body;
  }
  EXPECT_NE(error_of(call("PUT", "/cluster", R"({"slots":{"UPPER":{"type":"physical"}}})")).find("PUT /cluster:1:"),
            std::string::npos);
}

TEST(api_routes, unknown_paths_and_wrong_methods) {
  EXPECT_EQ(answer(call("GET", "/nope")).status, 404);
  EXPECT_EQ(answer(call("GET", "/")).status, 404);
  EXPECT_EQ(answer(call("GET", "/status/")).status, 404);
  EXPECT_EQ(answer(call("DELETE", "/status")).status, 405);
  EXPECT_EQ(answer(call("GET", "/promote")).status, 405);
  EXPECT_EQ(answer(call("POST", "/cluster", "{}")).status, 405);
  EXPECT_EQ(api::allowed_method("/cluster"), "PUT");
  EXPECT_EQ(api::allowed_method("/status"), "GET, HEAD");
  EXPECT_EQ(error_of(call("DELETE", "/status")).find("use GET, HEAD") != std::string::npos, true);
  EXPECT_EQ(answer(call("HEAD", "/promote")).status, 405);
  EXPECT_EQ(answer(call("HEAD", "/cluster")).status, 405);
  EXPECT_EQ(api::allowed_method("/nope"), std::nullopt);
}

TEST(api_routes, bodies_must_be_json) {
  EXPECT_EQ(answer(call("POST", "/demote", "leader=node1", "application/x-www-form-urlencoded")).status, 415);
  EXPECT_EQ(answer(call("PUT", "/cluster", "{}", "text/plain")).status, 415);
  EXPECT_EQ(answer(call("POST", "/promote", "{}", "")).status, 415);
  EXPECT_EQ(answer(call("POST", "/demote", R"({"leader":"n"})", "Application/JSON; charset=utf-8")).status, 0);
  EXPECT_EQ(answer(call("POST", "/pause", "", "")).status, 0) << "no body, no content type needed";
  EXPECT_EQ(answer(call("POST", "/pause", R"({"x":1})")).status, 400);
}

TEST(api_routes, token_guards_mutations_only) {
  auth_policy auth{"s3cret-token"};
  EXPECT_EQ(answer(call("POST", "/pause", "", "", "", auth)).status, 401);
  EXPECT_EQ(answer(call("POST", "/pause", "", "", "Bearer wrong", auth)).status, 401);
  EXPECT_EQ(answer(call("POST", "/pause", "", "", "Bearer s3cret-token-and-more", auth)).status, 401);
  EXPECT_EQ(answer(call("POST", "/pause", "", "", "Basic czNjcmV0LXRva2Vu", auth)).status, 401);
  EXPECT_EQ(answer(call("POST", "/pause", "", "", "Bearer s3cret-token", auth)).status, 0);
  EXPECT_EQ(answer(call("POST", "/pause", "", "", "bearer s3cret-token", auth)).status, 0);
  EXPECT_EQ(answer(call("PUT", "/cluster", "{}", "application/json", "Bearer x", auth)).status, 401);
  EXPECT_EQ(answer(call("GET", "/status", "", "", "", auth)).status, 0) << "reads need no token";
  EXPECT_EQ(error_of(call("POST", "/pause", "", "", "Bearer wrong", auth)).find("s3cret"), std::string::npos)
      << "the token is never echoed";
}

TEST(api_routes, constant_time_equal) {
  EXPECT_TRUE(api::constant_time_equal("abc", "abc"));
  EXPECT_FALSE(api::constant_time_equal("abd", "abc"));
  EXPECT_FALSE(api::constant_time_equal("ab", "abc"));
  EXPECT_FALSE(api::constant_time_equal("abcabc", "abc"));
  EXPECT_FALSE(api::constant_time_equal("", "abc"));
  EXPECT_FALSE(api::constant_time_equal("", ""));
}

TEST(api_replies, typed_replies_become_the_contract_shapes) {
  actors::promote_reply p;
  p.role = "primary";
  p.ready = {"cdc"};
  p.advanced = {{"cdc", *pg::lsn::parse("0/3000060")}};
  auto j = nlohmann::json::parse(api::to_api_reply(p).body);
  EXPECT_EQ(j, nlohmann::json::parse(R"({"role":"primary","ready":["cdc"],"unsafe":[],"reasons":{},"advanced":{"cdc":"0/3000060"}})"));
  p.refused = actors::refusal::busy;
  p.error = "a demote is already running";
  auto busy = api::to_api_reply(p);
  EXPECT_EQ(busy.status, 409);
  EXPECT_EQ(nlohmann::json::parse(busy.body)["error"], "a demote is already running");
  actors::demote_reply d{actors::refusal::bad_request, "unknown member 'x'", "", ""};
  EXPECT_EQ(api::to_api_reply(d).status, 400);
  actors::cluster_update_reply bad{actors::refusal::bad_request, "invalid cluster view", {}};
  EXPECT_EQ(api::to_api_reply(bad).status, 400);
  actors::final_positions_reply gone{actors::refusal::unavailable, "cannot read the data directory"};
  EXPECT_EQ(api::to_api_reply(gone).status, 503);
  EXPECT_EQ(nlohmann::json::parse(api::to_api_reply(gone).body)["error"], "cannot read the data directory");
  // Every refusal has its own status, and none of them is a success.
  EXPECT_EQ(api::http_status(actors::refusal::none), 200);
  EXPECT_EQ(api::http_status(actors::refusal::bad_request), 400);
  EXPECT_EQ(api::http_status(actors::refusal::busy), 409);
  EXPECT_EQ(api::http_status(actors::refusal::unavailable), 503);
  actors::readiness_view unready;
  EXPECT_EQ(api::to_api_reply(unready).status, 503);
  unready.ready = true;
  EXPECT_EQ(api::to_api_reply(unready).status, 200);
  EXPECT_EQ(api::to_api_reply(actors::health_view{}).status, 503);
  EXPECT_EQ(api::render(actors::api_failure{actors::refusal::unavailable, "the HA loop did not answer"}).status, 503);
}

TEST(prometheus_parser, accepts_valid_and_rejects_invalid) {
  auto ok = slotd::testing::parse_exposition("# HELP a_total Things.\n# TYPE a_total counter\na_total{x=\"1\",y=\"a\\\"b\"} 3\n"
                                      "a_total{x=\"2\"} 1e+06\n# a comment\n\nb NaN\nc{} -Inf 1700000000\n");
  EXPECT_TRUE(ok.problems.empty()) << ::testing::PrintToString(ok.problems);
  EXPECT_EQ(ok.samples.size(), 4u);
  for (auto bad : {"1a 3\n", "a{x=1} 3\n", "a{x=\"1} 3\n", "a 3 4 5\n", "a three\n", "# TYPE a bogus\na 1\n",
                   "a 1\n# TYPE a gauge\n", "# TYPE a gauge\n# TYPE a gauge\n", "a 1\nb 1\na{x=\"1\"} 2\n", "a 1\na 2\n",
                   "a{x=\"\\t\"} 1\n", "a 1"}) {
    EXPECT_FALSE(slotd::testing::parse_exposition(bad).problems.empty()) << bad;
  }
}
