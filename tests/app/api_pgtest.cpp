// The HTTP API over real sockets against whole agents on real clusters
// (docs/api.md): each endpoint's effect, hostile requests, load.
#include <atomic>
#include <filesystem>
#include <thread>

#include "tests/app/api_fixture.hpp"
#include "tests/app/prometheus_parser.hpp"

using namespace slotd;
using namespace slotd::testing;

namespace {

const std::string token = "t0ken-for-tests";
const std::map<std::string, std::string> bearer{{"Authorization", "Bearer " + token}};

api::server_options with_token() {
  api::server_options o;
  o.auth.token = token;
  return o;
}

} // namespace

// GET /status, /readiness, /health, /metrics, /state on a replica.
TEST(api_reads, status_readiness_health_metrics_state) {
  api_env e({.replicas = 1});
  e.start_pair();
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  e.serve("node2");

  ASSERT_TRUE(eventually([&] { return e.get("/readiness").status == 200; }, 60s)) << e.get("/readiness").body;
  auto ready = e.get("/readiness").json();
  EXPECT_EQ(ready["ready"], true);
  EXPECT_FALSE(ready["as_of"].get<std::string>().empty());

  auto st = e.get("/status");
  ASSERT_EQ(st.status, 200) << st.body;
  EXPECT_EQ(st.content_type, "application/json");
  auto s = st.json();
  EXPECT_EQ(s["name"], "node2");
  EXPECT_EQ(s["role"], "replica");
  EXPECT_EQ(s["leader"], "node1");
  EXPECT_EQ(s["my_slot_name"], "node2");
  EXPECT_EQ(s["paused"], false);
  EXPECT_TRUE(s["optime"].is_string());
  EXPECT_EQ(s["slots"]["cdc"]["type"], "logical");
  EXPECT_EQ(s["slots"]["cdc"]["ready"], true);
  EXPECT_TRUE(s["slots"]["cdc"]["lsn"].get<std::string>().find('/') != std::string::npos);

  auto h = e.get("/health");
  EXPECT_EQ(h.status, 200) << h.body;
  EXPECT_EQ(h.json()["ok"], true);

  auto m = e.get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.content_type.rfind("text/plain; version=0.0.4", 0), 0u) << m.content_type;
  auto parsed = parse_exposition(m.body);
  EXPECT_TRUE(parsed.problems.empty()) << ::testing::PrintToString(parsed.problems) << "\n" << m.body;
  std::map<std::string, double> role_values;
  bool cdc_ready = false, cdc_lag = false;
  for (auto& sample : parsed.samples) {
    EXPECT_EQ(sample.name.rfind("slotd_", 0), 0u) << sample.name;
    auto family = detail::family_of(sample.name, parsed.types); // a histogram's _bucket, _sum, _count
    EXPECT_TRUE(parsed.types.contains(family)) << sample.name << " has no TYPE";
    EXPECT_TRUE(parsed.helps.contains(family)) << sample.name << " has no HELP";
    if (sample.name == "slotd_role")
      role_values[sample.labels.at("role")] = sample.value;
    if (sample.name == "slotd_slot_ready" && sample.labels.at("slot") == "cdc")
      cdc_ready = sample.value == 1;
    if (sample.name == "slotd_slot_confirmed_lag_bytes" && sample.labels.at("slot") == "cdc")
      cdc_lag = sample.value >= 0;
  }
  EXPECT_EQ(role_values["replica"], 1);
  EXPECT_EQ(role_values["primary"], 0);
  EXPECT_TRUE(cdc_ready) << m.body;
  EXPECT_TRUE(cdc_lag) << m.body;
  for (auto family : {"slotd_loop_duration_seconds", "slotd_slot_copies_total", "slotd_server_restarts_total",
                      "slotd_slot_active", "slotd_paused", "slotd_slot_retained_wal_bytes", "slotd_copy_behind_bytes",
                      "slotd_leader_sample_age_seconds", "slotd_loop_cycle_duration_seconds"})
    EXPECT_TRUE(parsed.types.contains(family)) << family;

  // One entry per actor: the HA loop, its helpers, the promote handler and the gateway.
  auto helpers = e.a.helpers_of("node2");
  auto state = e.get("/state");
  ASSERT_EQ(state.status, 200);
  auto sj = state.json();
  EXPECT_EQ(sj.size(), helpers.dumpable().size() + 3) << sj.dump(2);
  for (auto key : {"ha_loop", "local_connection", "leader_connection", "promote_handler", "api_gateway"}) {
    ASSERT_TRUE(sj.contains(key)) << key << " missing from " << sj.dump(2);
    EXPECT_TRUE(sj[key].is_object()) << key;
    EXPECT_FALSE(sj[key].contains("error")) << sj[key].dump();
  }
  EXPECT_EQ(sj["ha_loop"]["name"], "node2");
  EXPECT_GE(sj["api_gateway"]["requests"]["status"].get<int>(), 1);
}

// POST /demote, then POST /promote, on an agent started with role: wait.
TEST(api_control, demote_then_promote) {
  api_env e({.replicas = 1});
  e.start_pair(config::start_role::wait);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  e.serve("node2");

  EXPECT_EQ(e.get("/status").json()["role"], "waiting");
  auto not_ready = e.get("/readiness");
  EXPECT_EQ(not_ready.status, 503) << not_ready.body;
  EXPECT_EQ(not_ready.json()["ready"], false);
  EXPECT_TRUE(not_ready.json().contains("as_of"));

  auto unknown = e.post("/demote", R"({"leader":"node9"})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.json()["error"].get<std::string>().find("node9"), std::string::npos);
  EXPECT_EQ(e.get("/status").json()["role"], "waiting") << "a refused demote changes nothing";

  auto d = e.post("/demote", R"({"leader":"node1"})");
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_EQ(d.json(), json::parse(R"({"role":"replica","leader":"node1"})"));
  auto s = e.get("/status").json();
  EXPECT_EQ(s["role"], "replica");
  EXPECT_EQ(s["leader"], "node1");
  // The replica cycle runs: the logical slot is copied here and becomes ready.
  EXPECT_TRUE(eventually([&] { return has_slot(e.c.replica(0), "cdc"); }, 60s)) << e.get("/state").body;
  ASSERT_TRUE(eventually([&] { return e.get("/readiness").status == 200; }, 60s)) << e.get("/readiness").body;

  auto p = e.post("/promote", R"({"timeout":"5s"})");
  ASSERT_EQ(p.status, 200) << p.body;
  auto pj = p.json();
  EXPECT_EQ(pj["role"], "primary");
  EXPECT_EQ(pj["ready"], json::array({"cdc"})) << pj.dump();
  EXPECT_EQ(pj["unsafe"], json::array());
  EXPECT_TRUE(pj["advanced"].is_object());
  // The next cycle sees the server still in recovery.
  EXPECT_TRUE(eventually([&] { return e.get("/status").json()["role"] == "promoting"; }, 10s))
      << e.get("/status").body;
  e.c.replica(0).promote();
  EXPECT_TRUE(eventually([&] { return e.get("/status").json()["role"] == "primary"; }));
  auto again = e.post("/promote");
  EXPECT_EQ(again.status, 200) << "idempotent on a primary: " << again.body;
  EXPECT_EQ(e.get("/readiness").status, 200) << "a primary is ready";
}

// PUT /cluster, POST /pause and /resume on a primary with a token.
TEST(api_control, cluster_pause_resume_with_token) {
  api_env e({.replicas = 0});
  auto& p = e.c.primary();
  e.a.start(p, view_of(e.c));
  e.serve("node1", with_token());

  auto body = R"({"slots":{"cdc2":{"type":"logical","database":"app","plugin":"test_decoding"}}})";
  EXPECT_EQ(e.put("/cluster", body).status, 401) << "mutations need the token";
  EXPECT_FALSE(slots_of(p).contains("cdc2"));
  auto r = e.put("/cluster", body, bearer);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["slots"]["cdc2"]["plugin"], "test_decoding");
  EXPECT_TRUE(r.json()["members"].contains("node1")) << "absent keys stay as they are";
  EXPECT_TRUE(eventually([&] { return slots_of(p).contains("cdc2"); })) << e.get("/state").body;

  EXPECT_EQ(e.post("/pause").status, 401);
  auto paused = e.post("/pause", "", bearer);
  ASSERT_EQ(paused.status, 200) << paused.body;
  EXPECT_EQ(paused.json()["paused"], true);
  EXPECT_EQ(e.get("/status").json()["paused"], true) << "reads need no token";
  // Removing the slot from the view while paused drops nothing.
  ASSERT_EQ(e.put("/cluster", R"({"slots":{}})", bearer).status, 200);
  auto cycles = e.ha_dump("node1")["cycles"].get<int>();
  ASSERT_TRUE(eventually([&] { return e.ha_dump("node1")["cycles"].get<int>() >= cycles + 2; }));
  EXPECT_TRUE(slots_of(p).contains("cdc2")) << "paused: nothing is dropped";

  auto resumed = e.post("/resume", "{}", bearer);
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  EXPECT_EQ(resumed.json()["paused"], false);
  EXPECT_TRUE(eventually([&] { return !slots_of(p).contains("cdc2"); })) << e.get("/state").body;
}

// SIGHUP's API part: the token file is read again and the new token is in
// force at once (the old one refused); an unreadable file keeps the current
// token; no token file, no token; a new api.listen needs a restart.
TEST(api_control, token_file_read_again_on_reload) {
  api_env e({.replicas = 0});
  e.a.start(e.c.primary(), view_of(e.c));
  auto file = e.c.dir() / "api.token";
  std::ofstream(file) << "first-token\n";
  config::api_config cfg;
  cfg.listen = {"127.0.0.1", 0};
  cfg.token_file = file.string();
  e.serve("node1", api::options_from(cfg));
  const std::map<std::string, std::string> first{{"Authorization", "Bearer first-token"}};
  const std::map<std::string, std::string> second{{"Authorization", "Bearer second-token"}};
  EXPECT_EQ(e.post("/resume", "", first).status, 200);

  std::ofstream(file, std::ios::trunc) << "second-token\n";
  EXPECT_TRUE(e.api->reload(cfg));
  EXPECT_EQ(e.post("/resume", "", first).status, 401);
  EXPECT_EQ(e.post("/resume", "", second).status, 200);

  std::filesystem::remove(file);
  EXPECT_THROW(e.api->reload(cfg), std::runtime_error);
  EXPECT_EQ(e.post("/resume", "", second).status, 200) << "the current token stays";

  cfg.token_file.clear();
  EXPECT_TRUE(e.api->reload(cfg));
  EXPECT_EQ(e.post("/resume").status, 200) << "no token file: no token";
  cfg.listen.port = 1;
  EXPECT_FALSE(e.api->reload(cfg)) << "a new address needs a restart";
}

// ≥ 30 malformed or hostile requests: each gets its 4xx with an error that
// says what was wrong; the agent's state is unchanged and it still answers.
TEST(api_hostile, table_of_bad_requests) {
  api_env e({.replicas = 0});
  auto& p = e.c.primary();
  p.exec("CREATE TABLE t (id int)", "app");
  e.a.start(p, view_of(e.c, {logical_slot("cdc", "app", "test_decoding")}));
  ASSERT_TRUE(eventually([&] { return slots_of(p).contains("cdc"); }));
  e.serve("node1", with_token());

  auto snapshot = [&] {
    auto d = e.ha_dump("node1");
    return json{{"role", d["role"]}, {"leader", d["leader"]}, {"paused", d["paused"]}, {"view", d["view"]}};
  };
  auto before = snapshot();
  auto slots_before = slots_of(p);

  auto auth = [](std::map<std::string, std::string> h = {}) {
    h.insert(bearer.begin(), bearer.end());
    return h;
  };
  auto req = [](const std::string& m, const std::string& path, const std::string& body,
                const std::map<std::string, std::string>& h) { return http_request(m, path, body, h); };
  std::string deep = R"({"members":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  std::string big(10 * 1024 * 1024, 'x');
  std::string chunked = "POST /promote HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
                        "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 40; ++i)
    chunked += "10000\r\n" + std::string(0x10000, ' ') + "\r\n";
  chunked += "0\r\n\r\n";

  struct hostile {
    std::string what;
    std::string bytes;
    int status;
    std::string error_says; // a part of {"error": ...}
    bool half_close = false;
  };
  std::vector<hostile> cases{
      {"truncated JSON", req("POST", "/promote", R"({"timeout":)", auth()), 400, "malformed JSON"},
      {"timeout is a number", req("POST", "/promote", R"({"timeout":30})", auth()), 400, "timeout"},
      {"timeout without unit", req("POST", "/promote", R"({"timeout":"30"})", auth()), 400, "no unit"},
      {"negative timeout", req("POST", "/promote", R"({"timeout":"-5s"})", auth()), 400, "timeout"},
      {"zero timeout", req("POST", "/promote", R"({"timeout":"0s"})", auth()), 400, "timeout"},
      {"unknown unit", req("POST", "/promote", R"({"timeout":"1y"})", auth()), 400, "timeout"},
      {"misspelt key", req("POST", "/promote", R"({"timout":"5s"})", auth()), 400, "unknown key 'timout'"},
      {"array body", req("POST", "/promote", "[1,2]", auth()), 400, "JSON object"},
      {"invalid UTF-8", req("POST", "/demote", "{\"leader\":\"\xff\xfe\"}", auth()), 400, "malformed JSON"},
      {"demote without leader", req("POST", "/demote", "{}", auth()), 400, "leader"},
      {"demote without body", req("POST", "/demote", "", auth()), 400, "needs a JSON object"},
      {"leader is a number", req("POST", "/demote", R"({"leader":7})", auth()), 400, "leader must be"},
      {"unknown member", req("POST", "/demote", R"({"leader":"node9"})", auth()), 400, "unknown member 'node9'"},
      {"leader with SQL", req("POST", "/demote", R"({"leader":"x'; DROP TABLE t;--"})", auth()), 400,
       "unknown member"},
      {"demote to itself", req("POST", "/demote", R"({"leader":"node1"})", auth()), 400, "this agent"},
      {"slot name with a quote", req("PUT", "/cluster", R"({"slots":{"bad\"name":{"type":"physical"}}})", auth()),
       400, "not a valid slot name"},
      {"slot name with SQL",
       req("PUT", "/cluster",
           R"({"slots":{"x'); DROP DATABASE app;--":{"type":"logical","database":"app","plugin":"pgoutput"}}})",
           auth()),
       400, "not a valid slot name"},
      {"upper-case slot name", req("PUT", "/cluster", R"({"slots":{"CDC":{"type":"physical"}}})", auth()), 400,
       "not a valid slot name"},
      {"logical slot without database",
       req("PUT", "/cluster", R"({"slots":{"cdc":{"type":"logical","plugin":"pgoutput"}}})", auth()), 400, "database"},
      {"plugin with SQL", req("PUT", "/cluster", R"({"slots":{"cdc":{"database":"app","plugin":"x'--"}}})", auth()),
       400, "not a plugin name"},
      {"plugin that is a path",
       req("PUT", "/cluster", R"({"slots":{"cdc":{"database":"app","plugin":"/tmp/evil"}}})", auth()), 400,
       "not a plugin name"},
      {"database name PostgreSQL would cut",
       req("PUT", "/cluster", R"({"slots":{"cdc":{"database":")" + std::string(64, 'd') + R"(","plugin":"pgoutput"}}})",
           auth()),
       400, "longer than 63 bytes"},
      {"slot type with SQL", req("PUT", "/cluster", R"({"slots":{"cdc":{"type":"'; DROP TABLE t;--"}}})", auth()),
       400, "type"},
      {"ttl without unit", req("PUT", "/cluster", R"({"member_slots_ttl":"30"})", auth()), 400, "no unit"},
      {"members is a string", req("PUT", "/cluster", R"({"members":"node1"})", auth()), 400, "members"},
      {"unknown cluster key", req("PUT", "/cluster", R"({"slotz":{}})", auth()), 400, "slotz"},
      {"YAML as JSON", req("PUT", "/cluster", "members: {}", auth()), 400, "malformed JSON"},
      {"deeply nested JSON", req("PUT", "/cluster", deep, auth()), 400, ""},
      {"cluster as text/plain", req("PUT", "/cluster", "{}", auth({{"Content-Type", "text/plain"}})), 415,
       "Content-Type"},
      {"form-encoded demote",
       req("POST", "/demote", "leader=node1", auth({{"Content-Type", "application/x-www-form-urlencoded"}})), 415,
       "application/json"},
      {"body without content type",
       "POST /promote HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\nContent-Length: 2\r\n\r\n{}", 415,
       "(none)"},
      {"missing token", req("POST", "/pause", "", {}), 401, "Bearer"},
      {"wrong token", req("POST", "/pause", "", {{"Authorization", "Bearer nope"}}), 401, "wrong token"},
      {"token prefix", req("POST", "/pause", "", {{"Authorization", "Bearer " + token.substr(0, 5)}}), 401,
       "wrong token"},
      {"basic auth", req("POST", "/promote", "", {{"Authorization", "Basic dXNlcjpwYXNz"}}), 401, "wrong token"},
      {"valid change, wrong token", req("PUT", "/cluster", R"({"slots":{}})", {{"Authorization", "Bearer x"}}), 401,
       ""},
      {"unknown path", req("GET", "/nope", "", {}), 404, "unknown path"},
      {"root path", req("GET", "/", "", {}), 404, "unknown path"},
      {"path traversal", req("GET", "/../../etc/passwd", "", {}), 404, "unknown path"},
      {"DELETE /status", req("DELETE", "/status", "", {}), 405, "use GET"},
      {"GET /promote", req("GET", "/promote", "", {}), 405, "use POST"},
      {"POST /cluster", req("POST", "/cluster", "{}", auth()), 405, "use PUT"},
      {"PUT /pause", req("PUT", "/pause", "", auth()), 405, "use POST"},
      {"10 MiB body", req("PUT", "/cluster", big, auth()), 413, "over the limit"},
      {"2.5 MiB chunked body", chunked, 413, "over the limit"},
      {"truncated body", "POST /demote HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer " +
                             token + "\r\nContent-Length: 100\r\n\r\n{\"leader\":",
       400, "incomplete", true},
      {"garbage request line", "HELLO THERE\r\n\r\n", 400, "malformed HTTP"},
      {"bad Content-Length", "POST /pause HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400, "malformed HTTP"},
      {"two Content-Lengths", "POST /pause HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}",
       400, "malformed HTTP"},
      {"20 KiB header", "GET /status HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n", 431,
       "header"},
  };
  ASSERT_GE(cases.size(), 30u);
  for (auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto a = http_raw(e.port, c.bytes, {.shutdown_after_write = c.half_close});
    EXPECT_EQ(a.status, c.status) << a.body << a.error;
    auto j = a.json();
    ASSERT_TRUE(j.is_object() && j.contains("error") && j["error"].is_string()) << a.body;
    EXPECT_NE(j["error"].get<std::string>().find(c.error_says), std::string::npos) << j["error"];
    EXPECT_EQ(j["error"].get<std::string>().find(token), std::string::npos) << "the token is never echoed";
    if (a.status == 405) {
      EXPECT_FALSE(a.allow.empty());
    }
    EXPECT_EQ(e.get("/status").status, 200) << "the agent still answers";
  }
  EXPECT_EQ(snapshot(), before) << "hostile requests changed the agent's state";
  auto slots_after = slots_of(p);
  EXPECT_EQ(slots_after.size(), slots_before.size());
  EXPECT_TRUE(slots_after.contains("cdc"));
  EXPECT_EQ(p.scalar("SELECT count(*) FROM t", "app"), "0") << "table t still there";
  EXPECT_EQ(e.get("/health").status, 200);
}

// Keep-alive: several requests on one connection are answered in order. A
// client that sends half a header and stalls is cut off by the header
// timeout; others are served meanwhile.
TEST(api_connections, keep_alive_and_a_stalled_client) {
  api_env e({.replicas = 0});
  e.a.start(e.c.primary(), view_of(e.c));
  api::server_options o;
  o.header_timeout = std::chrono::milliseconds(500);
  e.serve("node1", o);
  auto all = http_read_all(e.port, "GET /status HTTP/1.1\r\nHost: x\r\n\r\nHEAD /health HTTP/1.1\r\nHost: x\r\n\r\n"
                                   "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                                   "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  auto first = all.find("HTTP/1.1 200 OK");
  auto second = all.find("HTTP/1.1 200 OK", first + 1);
  auto third = all.find("HTTP/1.1 200 OK", second + 1);
  auto fourth = all.find("HTTP/1.1 404 Not Found");
  EXPECT_NE(first, std::string::npos) << all;
  EXPECT_NE(second, std::string::npos) << all;
  EXPECT_NE(third, std::string::npos) << all;
  EXPECT_TRUE(fourth != std::string::npos && fourth > third) << all;
  // HEAD: the GET answer's headers (its Content-Length), and no body: the
  // next answer starts right after the blank line.
  auto head = all.substr(second, third - second);
  EXPECT_TRUE(head.ends_with("\r\n\r\n")) << head;
  EXPECT_EQ(head.find("Content-Length: 0"), std::string::npos) << head;
  EXPECT_NE(head.find("Content-Length: "), std::string::npos) << head;
  EXPECT_NE(all.find("\"ok\":true", third), std::string::npos) << "the GET /health answer third";

  auto started = std::chrono::steady_clock::now();
  std::thread stalled([&] {
    auto a = http_raw(e.port, "GET /status HTTP/1.1\r\nHost: x\r\n", {.timeout = 10s});
    EXPECT_EQ(a.status, 0) << "no answer to half a request";
    EXPECT_NE(a.error, "no answer in time") << "the server closed the connection";
  });
  EXPECT_EQ(e.get("/status").status, 200);
  stalled.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 8s);
}

// One client opens 300 connections and sends nothing (more than the 256 the
// server keeps): the HA manager's POST /promote is still served, from
// another address and from the same one, and so are reads.
TEST(api_connections, promote_is_served_while_one_client_holds_many_idle_connections) {
  api_env e({.replicas = 0});
  e.a.start(e.c.primary(), view_of(e.c));
  e.serve("node1", with_token());
  idle_connections hog;
  ASSERT_TRUE(hog.open(e.port, 300, "127.0.0.1"));
  raw_options other;
  other.source = "127.0.0.2";
  auto promote = http_request("POST", "/promote", R"({"timeout":"5s"})", bearer);
  auto p = http_raw(e.port, promote, other);
  ASSERT_EQ(p.status, 200) << p.error << p.body;
  EXPECT_EQ(p.json()["role"], "primary");
  auto same = http_raw(e.port, promote);
  EXPECT_EQ(same.status, 200) << "from the hogging client's own address: " << same.error << same.body;
  EXPECT_EQ(http_raw(e.port, http_request("GET", "/status"), other).status, 200);
  const int per_peer = static_cast<int>(api::connection_limits{}.per_peer);
  EXPECT_GE(hog.closed(), 300 - per_peer) << "the client keeps at most " << per_peer;
}

// 50 clients hammer GET /status for ~10 s: all get answers, and the HA loop
// keeps cycling meanwhile (the API never blocks it).
TEST(api_load, fifty_clients_and_the_loop_keeps_its_period) {
  api_env e({.replicas = 0});
  e.a.start(e.c.primary(), view_of(e.c, {logical_slot("cdc", "app", "test_decoding")}));
  e.serve("node1");
  ASSERT_TRUE(eventually([&] { return e.ha_dump("node1")["cycles"].get<int>() >= 1; }));
  auto before = e.ha_dump("node1");
  std::atomic<int> answers{0}, failures{0};
  std::atomic<bool> stop{false};
  std::vector<int> per_client(50, 0);
  std::vector<std::thread> clients;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  for (int i = 0; i < 50; ++i)
    clients.emplace_back([&, i] {
      while (std::chrono::steady_clock::now() < deadline) {
        auto a = e.get("/status");
        if (a.status == 200 && a.json()["name"] == "node1") {
          ++answers;
          ++per_client[i];
        } else {
          ++failures;
        }
      }
    });
  for (auto& t : clients)
    t.join();
  auto after = e.ha_dump("node1");
  EXPECT_EQ(failures.load(), 0);
  for (int i = 0; i < 50; ++i)
    EXPECT_GT(per_client[i], 0) << "client " << i << " got no answer";
  EXPECT_GT(answers.load(), 500);
  // loop_wait 1 s: ~10 full cycles in 10 s (a primary ticks only for them).
  EXPECT_GE(after["cycles"].get<int>() - before["cycles"].get<int>(), 5) << before.dump() << after.dump();
  EXPECT_EQ(e.get("/health").status, 200);
}
