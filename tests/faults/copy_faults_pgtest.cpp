// Faults around a slot copy, on real servers with whole agents in the test
// process: stop and start commands that fail, time out or lie, a promote
// while the server is stopped, a leader that accepts connections and never
// answers. Each test asserts that the replica's server runs afterwards and
// that the agent still answers.
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "tests/actors/agent_fixture.hpp"

namespace slotd::testing {
namespace {

std::string pg_ctl() { return (pg_install::current().bin_dir / "pg_ctl").string(); }

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

// The command slotd would run by default, for building faulty ones.
std::string stop_line(const node& n) { return pg_ctl() + " -D " + quoted(n.data_dir()) + " -m fast -w stop"; }
std::string start_line(const node& n) {
  return pg_ctl() + " -D " + quoted(n.data_dir()) + " -l " + quoted(n.log_file()) + " -w start";
}

// A counter file the postgres user can write (the commands run as postgres).
struct counter_file {
  counter_file() : path(fs::temp_directory_path() / ("slotd-fault-count-" + std::to_string(::getpid()))) {
    std::ofstream(path).flush();
    fs::permissions(path, fs::perms::all);
  }
  ~counter_file() { fs::remove(path); }
  int count() const {
    std::ifstream in(path);
    int n = 0;
    std::string line;
    while (std::getline(in, line))
      ++n;
    return n;
  }
  fs::path path;
};

// The primary with slot cdc, then the replica's agent with `o`.
void start_pair_with(cdc_pair& t, agent_options o) {
  t.start(t.p);
  ASSERT_TRUE(eventually([&] { return slots_of(t.p).contains("cdc"); }));
  t.start(t.r, o);
}

// A stop command that stops the server and then exits non-zero (or a
// pg_ctl stop -t that gives up while the fast shutdown goes on): the server
// must run again afterwards, with the copy.
TEST(CopyFaults, StopCommandFailingAfterStoppingLeavesTheServerRunning) {
  cdc_pair t;
  ASSERT_NO_FATAL_FAILURE(start_pair_with(t, {.stop_command = stop_line(t.r) + "; exit 1"}));
  ASSERT_TRUE(eventually([&] { return runs_with_slot(t.r, "cdc"); }, 60s))
      << "the replica's server is down or has no copy: " << t.loop().dump(2);
  EXPECT_TRUE(t.a.wait_ready("node2"));
  auto loop = t.loop();
  EXPECT_GE(loop["restarts"].get<int>(), 1);
  EXPECT_FALSE(loop["server_down"].get<bool>());
}

// A stop command that fails without stopping anything: nothing is
// installed, the server keeps running, and the agent says why.
TEST(CopyFaults, StopCommandThatStopsNothingCostsNoRestart) {
  cdc_pair t;
  auto before = started_at(t.r);
  ASSERT_NO_FATAL_FAILURE(start_pair_with(t, {.stop_command = "echo refusing to stop; exit 3"}));
  ASSERT_TRUE(eventually([&] {
    auto e = t.loop()["errors"];
    return e.dump().find("still runs after the stop command") != std::string::npos;
  }, 60s)) << t.loop().dump(2);
  EXPECT_TRUE(t.r.running());
  EXPECT_EQ(started_at(t.r), before) << "the server was restarted";
  EXPECT_FALSE(slots_of(t.r).contains("cdc"));
}

// A start that fails (three times, more than the copy's own attempts): the
// agent reports the server down (/status alert, /health 503) and keeps
// starting it with backoff until it runs.
TEST(CopyFaults, FailingStartIsRetriedUntilTheServerRuns) {
  cdc_pair t;
  counter_file tries;
  auto start = "echo x >> " + quoted(tries.path) + "; [ $(wc -l < " + quoted(tries.path) + ") -gt 4 ] || exit 1; " +
               start_line(t.r);
  ASSERT_NO_FATAL_FAILURE(start_pair_with(t, {.start_command = start}));
  bool saw_down = eventually([&] {
    bool ok = true;
    caf::scoped_actor self{t.a.system()};
    self->request(t.a.of("node2").ha(), 10s, actors::health_atom_v)
        .receive([&](actors::health_view& h) { ok = h.ok; }, [&](caf::error&) {});
    return !ok && t.a.status("node2")["alerts"].dump().find("down after a slot copy") != std::string::npos;
  }, 60s);
  EXPECT_TRUE(saw_down) << "the server was down without an alert or a failing /health";
  ASSERT_TRUE(eventually([&] { return runs_with_slot(t.r, "cdc"); }, 90s))
      << "start attempts: " << tries.count() << "; " << t.loop().dump(2);
  EXPECT_GE(tries.count(), 5);
  EXPECT_TRUE(eventually([&] { return !t.loop()["server_down"].get<bool>(); }, 10s));
}

// A start command that starts the server and then exits non-zero: the
// server runs, so it is not started again (one start in all) nor reported
// down, and the copy is there.
TEST(CopyFaults, StartCommandFailingAfterStartingIsNotRepeated) {
  cdc_pair t;
  counter_file starts;
  auto start = "echo x >> " + quoted(starts.path) + "; " + start_line(t.r) + "; exit 1";
  ASSERT_NO_FATAL_FAILURE(start_pair_with(t, {.start_command = start}));
  ASSERT_TRUE(eventually([&] { return runs_with_slot(t.r, "cdc"); }, 60s)) << t.loop().dump(2);
  EXPECT_TRUE(t.a.wait_ready("node2")) << t.a.readiness("node2").dump(2);
  EXPECT_TRUE(eventually([&] { return t.loop()["restarts"] == 1; }, 10s)) << t.loop().dump(2);
  EXPECT_EQ(starts.count(), 1) << t.a.dump("node2")["slot_copier"].dump(2);
  EXPECT_FALSE(t.loop()["server_down"].get<bool>());
  EXPECT_EQ(t.a.dump("node2")["slot_copier"]["phase"], "idle");
}

// A stop that gives up while the shutdown goes on: a smart shutdown waits
// for every session (the test's, and slotd's own connections) and refuses
// new ones meanwhile, so the server would serve nobody for as long as they
// last. slotd finishes it with a fast shutdown, installs the copy and
// starts the server.
TEST(CopyFaults, StopThatLeavesTheServerHalfStoppedIsFinishedFast) {
  cdc_pair t;
  auto stop = pg_ctl() + " -D " + quoted(t.r.data_dir()) + " -m smart -t 2 -w stop";
  std::atomic<bool> cut{false};
  std::thread session([&] {
    try {
      t.r.exec("SELECT pg_sleep(120)");
    } catch (const std::exception&) {
      cut = true; // terminated by the fast shutdown
    }
  });
  struct joiner {
    std::thread& t;
    ~joiner() { t.join(); }
  } join_session{session};
  ASSERT_TRUE(eventually([&] {
    return t.r.scalar("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(120)'") == "1";
  }, 10s));
  auto before = started_at(t.r);
  ASSERT_NO_FATAL_FAILURE(start_pair_with(t, {.stop_command = stop}));
  ASSERT_TRUE(eventually([&] { return runs_with_slot(t.r, "cdc"); }, 90s))
      << t.a.dump("node2")["slot_copier"].dump(2);
  EXPECT_TRUE(cut) << "the session outlived the copy's restart";
  EXPECT_NE(started_at(t.r), before);
  EXPECT_TRUE(eventually([&] { return t.loop()["restarts"] == 1; }, 10s)) << t.loop().dump(2);
  EXPECT_FALSE(t.loop()["server_down"].get<bool>());
  EXPECT_TRUE(t.a.wait_ready("node2")) << t.a.readiness("node2").dump(2);
}

// POST /promote while the copy has the server stopped: 409 with the reason,
// and the agent stays a replica (the HA manager chooses what to do).
TEST(CopyFaults, PromoteDuringACopyIsRefused) {
  cdc_pair t;
  ASSERT_NO_FATAL_FAILURE(start_pair_with(t, {.stop_command = "sleep 4; " + stop_line(t.r)}));
  ASSERT_TRUE(eventually([&] { return t.loop()["copying"].get<bool>(); }, 30s));
  auto r = t.a.promote("node2", 5s);
  EXPECT_EQ(r.refused, actors::refusal::busy) << r.error;
  EXPECT_NE(r.error.find("slot copy is under way"), std::string::npos) << r.error;
  ASSERT_TRUE(eventually([&] { return runs_with_slot(t.r, "cdc"); }, 60s));
  EXPECT_EQ(t.a.status("node2")["role"], "replica");
  ASSERT_TRUE(eventually([&] { return t.loop()["copy"].is_null(); }, 30s)) << t.loop().dump(2);
  auto again = t.a.promote("node2", 10s);
  EXPECT_EQ(again.refused, actors::refusal::none) << again.error;
}

// A leader address that accepts TCP connections and never answers: the
// leader connection is reset (promote, demote) while a job waits on it.
// The job's completion must not touch the reset lane (heap-use-after-free
// under ASan, silent corruption without).
TEST(LeaderFaults, ResettingALeaderThatNeverAnswersIsSafe) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 64), 0); // the kernel completes handshakes; nobody answers
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);

  cdc_pair t;
  model::member hole;
  hole.name = "hole";
  hole.host = "127.0.0.1";
  hole.port = ntohs(a.sin_port);
  t.view.members["hole"] = hole;
  t.start();
  ASSERT_TRUE(t.a.wait_ready("node2"));
  for (int round = 0; round < 3; ++round) {
    auto d = t.a.demote("node2", "hole");
    ASSERT_EQ(d.refused, actors::refusal::none) << d.error;
    std::this_thread::sleep_for(1500ms);
    auto p = t.a.promote("node2", 2s);
    EXPECT_EQ(p.error.find(no_reply), std::string::npos) << "round " << round << ": " << p.error;
    auto back = t.a.demote("node2", "node1");
    ASSERT_EQ(back.refused, actors::refusal::none) << back.error;
  }
  EXPECT_TRUE(t.a.status("node2").contains("role"));
  EXPECT_FALSE(t.a.dump("node2").contains("error")) << t.a.dump("node2").dump(2);
  ::close(fd);
}

// A desired slot the leader does not have (so it was never copied here):
// /readiness says not ready, and the promote reply must say unsafe, with
// the reason, never "nothing unsafe".
TEST(PromoteFaults, ReplyNamesEveryUnreadySlotWithItsReason) {
  cdc_pair t;
  t.start(t.r); // no agent on node1: cdc is never created there
  bool ready = true;
  ASSERT_TRUE(eventually([&] {
    auto j = t.a.readiness("node2", &ready);
    return !ready && j["unready"] == json::array({"cdc"});
  })) << t.a.readiness("node2").dump(2);
  auto r = t.a.promote("node2", 5s);
  ASSERT_EQ(r.refused, actors::refusal::none) << r.error;
  EXPECT_EQ(r.unsafe, std::vector<std::string>{"cdc"});
  EXPECT_TRUE(r.ready.empty());
  ASSERT_TRUE(r.reasons.contains("cdc"));
  EXPECT_EQ(r.reasons["cdc"].rfind("missing", 0), 0u) << r.reasons["cdc"];
}

// A copy whose next start would fail or misbehave is refused before the
// stop, with the reason in the errors, and the server is never restarted.
void expect_refused_without_restart(cdc_pair& t, const std::string& why) {
  auto started = started_at(t.r);
  ASSERT_TRUE(eventually([&] { return t.loop()["errors"].dump().find(why) != std::string::npos; }, 60s))
      << t.loop().dump(2);
  EXPECT_EQ(started_at(t.r), started) << "the server was restarted";
  EXPECT_EQ(t.loop()["restarts"], 0);
  EXPECT_FALSE(slots_of(t.r).contains("cdc"));
}

TEST(CopyPrerequisites, WalLevelBelowLogicalOnTheReplica) {
  cdc_pair t;
  t.r.append_conf("wal_level = replica\n");
  t.r.restart();
  ASSERT_NO_FATAL_FAILURE(start_pair_with(t, {}));
  expect_refused_without_restart(t, "wal_level is 'replica' here");
}

TEST(CopyPrerequisites, NoFreeReplicationSlotOnTheReplica) {
  cdc_pair t;
  t.r.append_conf("max_replication_slots = 0\n");
  t.r.restart();
  ASSERT_NO_FATAL_FAILURE(start_pair_with(t, {}));
  expect_refused_without_restart(t, "no free replication slot here");
}

// The leader named by the HA manager is another cluster (same slot name,
// same database name): its slot file must never be installed here.
TEST(CopyPrerequisites, LeaderOfAnotherCluster) {
  cdc_pair t;
  auto& other = t.c.add_standalone("other");
  other.append_conf("wal_level = logical\n");
  other.restart();
  other.exec("CREATE DATABASE app");
  other.exec("SELECT pg_create_logical_replication_slot('cdc', 'test_decoding')", "app");
  other.exec("CHECKPOINT");
  t.view.members["other"] = member_of(other);
  ASSERT_NO_FATAL_FAILURE(start_pair_with(t, {.role = config::start_role::wait}));
  auto d = t.a.demote("node2", "other");
  ASSERT_EQ(d.refused, actors::refusal::none) << d.error;
  expect_refused_without_restart(t, "it is another cluster");
}

// The HA manager changes the view (PUT /cluster) and re-points slotd
// (demote to the same leader) while the copy has the server stopped: the
// copy is not dropped half-way, the server runs afterwards with the copy.
TEST(CopyFaults, ViewChangeAndDemoteDuringTheRestart) {
  cdc_pair t;
  ASSERT_NO_FATAL_FAILURE(start_pair_with(t, {.stop_command = "sleep 3; " + stop_line(t.r)}));
  ASSERT_TRUE(eventually([&] {
    auto c = t.loop()["copy"];
    return c.is_object() && c["phase"] == "restarting";
  }, 30s)) << t.loop().dump(2);
  config::cluster_update u;
  u.members = t.view.members;
  auto up = t.a.update("node2", u);
  EXPECT_EQ(up.refused, actors::refusal::none) << up.error;
  auto d = t.a.demote("node2", "node1");
  EXPECT_EQ(d.refused, actors::refusal::none) << d.error;
  ASSERT_TRUE(eventually([&] { return runs_with_slot(t.r, "cdc"); }, 60s)) << t.loop().dump(2);
  EXPECT_TRUE(eventually([&] { return t.loop()["copy"].is_null(); }, 30s));
  EXPECT_GE(t.loop()["restarts"].get<int>(), 1);
  EXPECT_TRUE(t.a.wait_ready("node2"));
}

} // namespace
} // namespace slotd::testing
