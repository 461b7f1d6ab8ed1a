// slotctl against a running agent's API: every command, its effect and its
// exit status (0 ok, 1 refused or not ready, 2 usage, 3 unreachable).
#include <sstream>
#include <thread>

#include "tests/app/api_fixture.hpp"

using namespace slotd;
using namespace slotd::testing;

// Every command on a replica agent started with role: wait.
TEST(slotctl_commands, each_command_and_its_effect) {
  api_env e({.replicas = 1});
  e.start_pair(config::start_role::wait);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  int port = e.serve("node2");

  auto status = slotctl(port, {"status"});
  ASSERT_EQ(status.exit, 0) << status.err;
  EXPECT_EQ(status.out_json()["role"], "waiting");
  EXPECT_EQ(std::count(status.out.begin(), status.out.end(), '\n'), 1) << "compact JSON when not on a terminal";

  auto health = slotctl(port, {"health"});
  EXPECT_EQ(health.exit, 0) << health.out << health.err;
  EXPECT_EQ(health.out_json()["ok"], true);

  auto not_ready = slotctl(port, {"readiness"});
  EXPECT_EQ(not_ready.exit, 1) << "not ready: exit 1: " << not_ready.out;
  EXPECT_EQ(not_ready.out_json()["ready"], false);

  auto state = slotctl(port, {"state"});
  ASSERT_EQ(state.exit, 0) << state.err;
  for (auto key : {"ha_loop", "local_connection", "leader_connection", "promote_handler", "api_gateway"})
    EXPECT_TRUE(state.out_json().contains(key)) << key;

  auto unknown = slotctl(port, {"demote", "--leader", "nobody"});
  EXPECT_EQ(unknown.exit, 1);
  EXPECT_NE(unknown.err.find("unknown member 'nobody'"), std::string::npos) << unknown.err;

  auto demote = slotctl(port, {"demote", "--leader", "node1"});
  ASSERT_EQ(demote.exit, 0) << demote.err;
  EXPECT_EQ(demote.out_json(), json::parse(R"({"role":"replica","leader":"node1"})"));
  auto st = slotctl(port, {"status"}).out_json();
  EXPECT_EQ(st["role"], "replica");
  EXPECT_EQ(st["leader"], "node1");
  EXPECT_TRUE(eventually([&] { return slotctl(port, {"readiness"}).exit == 0; }, 60s))
      << slotctl(port, {"readiness"}).out;

  auto pause = slotctl(port, {"pause"});
  ASSERT_EQ(pause.exit, 0) << pause.err;
  EXPECT_EQ(slotctl(port, {"status"}).out_json()["paused"], true);
  auto resume = slotctl(port, {"resume"});
  ASSERT_EQ(resume.exit, 0) << resume.err;
  EXPECT_EQ(slotctl(port, {"status"}).out_json()["paused"], false);

  // cluster --file: YAML, then JSON; a refused view; unreadable files.
  auto yaml = write_temp("view.yaml", "slots:\n  cdc: {type: logical, database: app, plugin: test_decoding}\n"
                                      "  archiver: {type: physical}\nmember_slots_ttl: 10min\n");
  auto c1 = slotctl(port, {"cluster", "--file", yaml.string()});
  ASSERT_EQ(c1.exit, 0) << c1.err;
  EXPECT_EQ(c1.out_json()["slots"]["archiver"]["type"], "physical");
  EXPECT_EQ(c1.out_json()["member_slots_ttl"], "600s");
  auto js = write_temp("view.json", R"({"ignore_slots":[{"name":"adhoc"}],"use_slots":true})");
  auto c2 = slotctl(port, {"cluster", "--file=" + js.string()});
  ASSERT_EQ(c2.exit, 0) << c2.err;
  EXPECT_EQ(c2.out_json()["ignore_slots"], json::parse(R"([{"name":"adhoc"}])"));
  EXPECT_TRUE(c2.out_json()["slots"].contains("archiver")) << "absent keys stay";
  EXPECT_EQ(e.ha_dump("node2")["view"]["ignore_slots"], json::parse(R"([{"name":"adhoc"}])"));
  auto bad = write_temp("bad.yaml", "slots:\n  \"x'; drop\": {type: physical}\n");
  auto c3 = slotctl(port, {"cluster", "--file", bad.string()});
  EXPECT_EQ(c3.exit, 1);
  EXPECT_NE(c3.err.find("not a valid slot name"), std::string::npos) << c3.err;
  auto broken = write_temp("broken.yaml", "slots: [unclosed\n");
  EXPECT_EQ(slotctl(port, {"cluster", "--file", broken.string()}).exit, 2);
  EXPECT_EQ(slotctl(port, {"cluster", "--file", "/nonexistent/view.yaml"}).exit, 2);
  for (auto& f : {yaml, js, bad, broken})
    fs::remove(f);

  // A resume re-checks readiness (docs/slot-rules.md §1.6): wait until ready
  // again.
  ASSERT_TRUE(eventually([&] { return slotctl(port, {"readiness"}).exit == 0; }, 60s))
      << slotctl(port, {"readiness"}).out;
  auto promote = slotctl(port, {"promote", "--timeout", "5s"});
  ASSERT_EQ(promote.exit, 0) << promote.err;
  EXPECT_EQ(promote.out_json()["role"], "primary");
  EXPECT_EQ(promote.out_json()["ready"], json::array({"cdc"})) << promote.out;
  EXPECT_TRUE(eventually([&] { return slotctl(port, {"status"}).out_json()["role"] == "promoting"; }, 10s));
}

// slotctl events: one JSON line per event (the lines of log.audit_file),
// --since, a bad --since, and --follow printing an event as it comes.
TEST(slotctl_commands, events_prints_the_audit_trail_one_line_each_and_follows) {
  api_env e({.replicas = 1});
  e.start_pair(config::start_role::wait);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  int port = e.serve("node2");
  ASSERT_EQ(slotctl(port, {"demote", "--leader", "node1"}).exit, 0);
  run_result all;
  ASSERT_TRUE(eventually([&] {
    all = slotctl(port, {"events"});
    return all.exit == 0 && all.out.find(R"("action":"demote")") != std::string::npos;
  }, 20s)) << all.out << all.err;
  std::vector<json> lines;
  std::istringstream in(all.out);
  for (std::string line; std::getline(in, line);) {
    EXPECT_TRUE(line.starts_with(R"({"seq":)")) << line;
    lines.push_back(json::parse(line));
  }
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.front()["seq"], 1);
  json demote;
  for (auto& l : lines)
    if (l["action"] == "demote")
      demote = l;
  EXPECT_EQ(demote["detail"], "following node1");
  EXPECT_EQ(demote["node"], "node2");
  const auto last = lines.back()["seq"].get<std::uint64_t>();
  auto none = slotctl(port, {"events", "--since", std::to_string(last)});
  EXPECT_EQ(none.exit, 0) << none.err;
  EXPECT_EQ(none.out.find(R"("seq":)" + std::to_string(last) + ","), std::string::npos) << "only events after --since";
  EXPECT_EQ(slotctl(port, {"events", "--since", "x"}).exit, 2);

  // --follow for 6 s while PUT /cluster adds a slot: the view change is printed.
  std::string followed;
  std::thread follower([&] {
    std::string cmd = "SLOTD_API=http://127.0.0.1:" + std::to_string(port) + " timeout 6 " +
                      shell_quote(SLOTD_SLOTCTL_PATH) + " events --follow --interval 200ms --since " +
                      std::to_string(last) + " 2>/dev/null </dev/null";
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
      char buf[4096];
      std::size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
        followed.append(buf, n);
      ::pclose(p);
    }
  });
  std::this_thread::sleep_for(1s);
  auto view = write_temp("events-view.yaml", "slots:\n  archiver: {type: physical}\n");
  EXPECT_EQ(slotctl(port, {"cluster", "--file", view.string()}).exit, 0);
  follower.join();
  EXPECT_NE(followed.find(R"("action":"view_change")"), std::string::npos) << followed;
  EXPECT_EQ(followed.find(R"("action":"demote")"), std::string::npos) << "only what came after --since";
}

TEST(slotctl_commands, usage_errors_token_and_unreachable) {
  api_env e({.replicas = 0});
  e.a.start(e.c.primary(), view_of(e.c));
  api::server_options o;
  o.auth.token = "sl0tctl-token";
  int port = e.serve("node1", o);

  EXPECT_EQ(slotctl(port, {"bogus"}).exit, 2);
  EXPECT_EQ(slotctl(port, {}).exit, 2);
  EXPECT_EQ(slotctl(port, {"demote"}).exit, 2) << "demote needs --leader";
  EXPECT_EQ(slotctl(port, {"promote", "--timeout", "30"}).exit, 2) << "a duration needs a unit";
  EXPECT_EQ(slotctl(port, {"status", "extra"}).exit, 2);
  EXPECT_EQ(slotctl(port, {"--api", "https://127.0.0.1:1", "status"}).exit, 2);
  auto help = slotctl(port, {"promote", "--help"});
  EXPECT_EQ(help.exit, 0);
  EXPECT_NE(help.out.find("Usage: slotctl [OPTIONS] promote [--timeout D]"), std::string::npos);
  auto version = slotctl(port, {"--version"});
  EXPECT_EQ(version.out, "slotctl 0.1.0\n");

  auto refused = slotctl(port, {"pause"});
  EXPECT_EQ(refused.exit, 1) << "no token";
  EXPECT_NE(refused.err.find("401"), std::string::npos) << refused.err;
  auto wrong = write_temp("wrong.token", "nope\n");
  EXPECT_EQ(slotctl(port, {"--token-file", wrong.string(), "pause"}).exit, 1);
  auto right = write_temp("right.token", "sl0tctl-token\n");
  auto ok = slotctl(port, {"--token-file", right.string(), "pause"});
  EXPECT_EQ(ok.exit, 0) << ok.err;
  EXPECT_EQ(slotctl(port, {"status"}).out_json()["paused"], true) << "reads need no token";
  fs::remove(wrong);
  fs::remove(right);

  auto unreachable = slotctl(free_port(), {"status"});
  EXPECT_EQ(unreachable.exit, 3);
  EXPECT_NE(unreachable.err.find("cannot reach slotd"), std::string::npos) << unreachable.err;
}
