// A promote answers by its deadline (pg/model/promote_deadline.hpp) even
// when the local server hangs: every process of the replica's server is
// stopped with SIGSTOP while the HA manager promotes. Real servers.
#include <signal.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/actors/agent_fixture.hpp"

namespace slotd::testing {
namespace {

// SIGSTOP to a server's postmaster and every process it started, SIGCONT
// to the same when it goes out of scope (also when the test fails).
struct frozen_server {
  explicit frozen_server(const node& n) {
    auto pm = n.postmaster_pid();
    if (!pm)
      return;
    pids.push_back(*pm);
    for (auto& e : fs::directory_iterator("/proc")) {
      int pid = std::atoi(e.path().filename().c_str());
      if (pid <= 0)
        continue;
      std::ifstream stat(e.path() / "stat");
      std::string line;
      std::getline(stat, line);
      auto close = line.rfind(')');
      if (close == std::string::npos)
        continue;
      std::istringstream rest(line.substr(close + 2));
      std::string state;
      int ppid = 0;
      rest >> state >> ppid;
      if (ppid == *pm)
        pids.push_back(pid);
    }
    for (int pid : pids)
      ::kill(pid, SIGSTOP);
  }
  ~frozen_server() {
    for (int pid : pids)
      ::kill(pid, SIGCONT);
  }
  std::vector<int> pids;
};

// The local server stops answering right before the promote: the reply
// comes by the promote's timeout plus the HA loop's slack (2 s), not after
// the 15 s request timeout of the loop's reads; the agent has taken the
// primary role, and works on once the server answers again.
TEST(PromoteFaults, AFrozenLocalServerIsAnsweredByThePromoteDeadline) {
  cdc_pair t;
  t.start(t.p);
  ASSERT_TRUE(eventually([&] { return slots_of(t.p).contains("cdc"); }));
  t.start(t.r);
  ASSERT_TRUE(t.a.wait_ready("node2")) << t.loop().dump(2);
  actors::promote_reply r;
  std::chrono::steady_clock::duration took{};
  {
    frozen_server frozen(t.r);
    ASSERT_GE(frozen.pids.size(), 3u) << "the postmaster and its processes";
    auto t0 = std::chrono::steady_clock::now();
    r = t.a.promote("node2", 1s);
    took = std::chrono::steady_clock::now() - t0;
  }
  EXPECT_EQ(r.refused, actors::refusal::unavailable) << r.error;
  EXPECT_NE(r.error.find("local server did not answer"), std::string::npos) << r.error;
  EXPECT_EQ(r.role, "primary");
  EXPECT_LT(took, 8s) << "1 s timeout + 2 s slack; the old loop answered after its 15 s request timeout";
  EXPECT_EQ(t.a.status("node2")["role"], "promoting") << "told primary; the server is still in recovery";
  // Thawed: the loop reads the server again.
  auto as_of = t.a.status("node2")["as_of"];
  EXPECT_TRUE(eventually([&] { return t.a.status("node2")["as_of"] != as_of; }, 30s)) << t.loop().dump(2);
}

} // namespace
} // namespace slotd::testing
