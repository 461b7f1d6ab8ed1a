// The handover of final slot positions at a switchover, on real servers
// (POST /promote with handover_from, GET /final-positions): the candidate's
// copy ends exactly where the old primary's consumer confirmed, even when
// the candidate's agent could not sample the leader after that; and when
// the old primary's agent cannot hand anything over (a crash, no agent,
// a server still running), the promote goes on with the last samples and
// says so.
#include "app/api/api_service.hpp"
#include "tests/faults/slotd_process.hpp"
#include "tests/faults/tcp_proxy.hpp"

namespace slotd::testing {
namespace {

std::string url(int port) { return "http://127.0.0.1:" + std::to_string(port); }

// node1 and node2 with their agents, node1's API served; node2 reaches its
// leader through `proxy` and knows node1's agent at `node1_api` (by default
// the served one).
struct handover_pair {
  handover_pair() : proxy(t.p.port()) { t.p.exec("CREATE TABLE t (id int primary key)", "app"); }

  void start(std::optional<std::string> node1_api = std::nullopt) {
    t.start(t.p);
    ASSERT_TRUE(eventually([&] { return slots_of(t.p).contains("cdc"); }));
    api::server_options o;
    o.listen = {"127.0.0.1", 0};
    api = std::make_unique<api::api_service>(t.a.system(), io, t.a.of("node1"), o);
    auto view = t.view;
    view.members["node1"].port = proxy.port();
    view.members["node1"].api = node1_api.value_or(url(api->port()));
    t.a.start(t.r, view, {.role = config::start_role::wait});
    auto d = t.a.demote("node2", "node1");
    ASSERT_EQ(d.refused, actors::refusal::none) << d.error;
    ASSERT_TRUE(t.a.wait_ready("node2")) << t.a.readiness("node2").dump(2);
  }

  // The replica replayed everything the stopped primary wrote.
  void wait_replayed(const std::string& lsn) {
    ASSERT_TRUE(eventually([&] { return lsn_le(t.r, lsn, *t.r.scalar("SELECT pg_last_wal_replay_lsn()::text")); }))
        << "replica did not replay up to " << lsn;
  }

  ~handover_pair() {
    if (api)
      api->stop();
  }

  cdc_pair t;
  tcp_proxy proxy;
  actors::io_runtime io;
  std::unique_ptr<api::api_service> api;
};

// A switchover: the consumer read rows 1..200 on node1 while node2's agent
// could not reach node1 (its samples stop at row 100); node1 stops cleanly;
// the promote of node2 with handover_from node1 advances node2's copy to
// exactly the consumer's position, so the consumer re-reads nothing there.
TEST(Handover, ASwitchoverHandsTheFinalPositionsOverAndTheConsumerReReadsNothing) {
  handover_pair x;
  auto& t = x.t;
  ASSERT_NO_FATAL_FAILURE(x.start());
  write_and_consume(t.p, 1, 100);
  auto sampled = cdc_flush(t.p).value();
  ASSERT_TRUE(eventually([&] { return cdc_flush(t.r) == sampled; }, 30s)) << "the copy follows the leader";

  x.proxy.hold_all(true); // node2's agent no longer sees node1
  write_and_consume(t.p, 101, 100);
  auto final_cf = cdc_flush(t.p).value();
  ASSERT_NE(final_cf, sampled);
  auto running = http_call(x.api->port(), "GET", "/final-positions");
  EXPECT_EQ(running.status, 409) << "not while the server runs: " << running.body;
  t.p.stop_fast();
  x.wait_replayed(final_cf);
  EXPECT_EQ(cdc_flush(t.r), sampled) << "the copy could not follow the last consumption";

  auto fp = http_call(x.api->port(), "GET", "/final-positions");
  ASSERT_EQ(fp.status, 200) << fp.body;
  auto f = json::parse(fp.body);
  EXPECT_EQ(f["clean_shutdown"], true);
  EXPECT_EQ(f["slots"]["cdc"]["confirmed_flush_lsn"], final_cf) << f.dump();
  EXPECT_TRUE(f["checkpoint_lsn"].is_string());

  auto r = t.a.promote("node2", 10s, "node1");
  ASSERT_EQ(r.refused, actors::refusal::none) << r.error;
  ASSERT_TRUE(r.handover);
  EXPECT_EQ(r.handover->handed_over, std::vector<std::string>{"cdc"});
  EXPECT_EQ(r.handover->error, "");
  EXPECT_EQ(r.advanced["cdc"].str(), final_cf);
  EXPECT_EQ(cdc_flush(t.r), final_cf);

  t.r.promote();
  auto again = t.r.query("SELECT data FROM pg_logical_slot_get_changes('cdc', NULL, NULL)", "app");
  EXPECT_TRUE(decoded_ids(again).empty()) << again.size() << " changes read again after the switchover";
  t.r.exec("INSERT INTO t VALUES (201)", "app");
  auto next = decoded_ids(t.r.query("SELECT data FROM pg_logical_slot_get_changes('cdc', NULL, NULL)", "app"));
  EXPECT_EQ(next, std::vector<int>{201}) << "and nothing is skipped";
}

// kill -9 of the old primary: its state files may be behind, so they are
// not handed over; the promote uses the last samples and says why.
TEST(Handover, AfterACrashNothingIsHandedOverAndThePromoteSaysWhy) {
  handover_pair x;
  auto& t = x.t;
  ASSERT_NO_FATAL_FAILURE(x.start());
  auto replica_view = http_call(x.api->port(), "GET", "/final-positions");
  EXPECT_EQ(replica_view.status, 409);
  write_and_consume(t.p, 1, 100);
  auto sampled = cdc_flush(t.p).value();
  ASSERT_TRUE(eventually([&] { return cdc_flush(t.r) == sampled; }, 30s));
  t.p.kill9();
  auto fp = http_call(x.api->port(), "GET", "/final-positions");
  ASSERT_EQ(fp.status, 200) << fp.body;
  EXPECT_EQ(json::parse(fp.body)["clean_shutdown"], false) << fp.body;

  auto r = t.a.promote("node2", 10s, "node1");
  ASSERT_EQ(r.refused, actors::refusal::none) << r.error;
  ASSERT_TRUE(r.handover);
  EXPECT_TRUE(r.handover->handed_over.empty());
  EXPECT_EQ(r.handover->from_samples, std::vector<std::string>{"cdc"});
  EXPECT_NE(r.handover->error.find("did not shut down cleanly"), std::string::npos) << r.handover->error;
  EXPECT_EQ(r.ready, std::vector<std::string>{"cdc"});
}

// The old primary's agent does not answer (its address leads nowhere): the
// promote answers within its deadline with the last samples; an unknown
// member is refused before anything changes.
TEST(Handover, WithoutTheOldPrimarysAgentThePromoteUsesTheLastSamples) {
  handover_pair x;
  auto& t = x.t;
  ASSERT_NO_FATAL_FAILURE(x.start(url(free_port())));
  write_and_consume(t.p, 1, 50);
  auto sampled = cdc_flush(t.p).value();
  ASSERT_TRUE(eventually([&] { return cdc_flush(t.r) == sampled; }, 30s));
  t.p.stop_fast();

  auto unknown = t.a.promote("node2", 10s, "nobody");
  EXPECT_EQ(unknown.refused, actors::refusal::bad_request);
  EXPECT_NE(unknown.error.find("unknown member 'nobody'"), std::string::npos) << unknown.error;
  EXPECT_EQ(t.a.dump("node2")["ha_loop"]["role"], "replica")
      << "a refused promote changes nothing";

  auto started = std::chrono::steady_clock::now();
  auto r = t.a.promote("node2", 6s, "node1");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 15s);
  ASSERT_EQ(r.refused, actors::refusal::none) << r.error;
  ASSERT_TRUE(r.handover);
  EXPECT_TRUE(r.handover->handed_over.empty());
  EXPECT_EQ(r.handover->from_samples, std::vector<std::string>{"cdc"});
  EXPECT_NE(r.handover->error.find("cannot connect"), std::string::npos) << r.handover->error;
  EXPECT_EQ(cdc_flush(t.r), sampled);
}

} // namespace
} // namespace slotd::testing
