// The slotd binary under a service manager's notification protocol
// (systemd's Type=notify, app/service_notify): READY only once the HA loop
// has run and the API answers, the watchdog fed while the loop answers,
// STOPPING at SIGTERM. The test is the service manager: it listens on a
// datagram socket given in NOTIFY_SOCKET.
#include <sys/socket.h>
#include <sys/un.h>

#include <cstdlib>

#include "tests/faults/slotd_process.hpp"

namespace slotd::testing {
namespace {

class notify_socket {
public:
  notify_socket() {
    path_ = (fs::temp_directory_path() / ("slotd-notify-" + std::to_string(::getpid()) + ".sock")).string();
    fs::remove(path_);
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path_.c_str());
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error("notify_socket: cannot bind " + path_);
    fs::permissions(path_, fs::perms::all); // slotd runs as postgres
    timeval tv{0, 200000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~notify_socket() {
    ::close(fd_);
    fs::remove(path_);
  }
  const std::string& path() const { return path_; }

  // Messages received until `until` returns true for one of them or `wait`
  // passes; every message is kept in `seen`.
  bool wait_for(const std::function<bool(const std::string&)>& until, std::chrono::milliseconds wait) {
    auto end = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < end) {
      char buf[4096];
      auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0)
        continue;
      seen.emplace_back(buf, static_cast<std::size_t>(n));
      if (until(seen.back()))
        return true;
    }
    return false;
  }
  std::vector<std::string> seen;

private:
  std::string path_;
  int fd_ = -1;
};

bool has(const std::string& msg, const std::string& line) {
  return ("\n" + msg + "\n").find("\n" + line + "\n") != std::string::npos;
}

TEST(ServiceNotify, ReadyOnceTheLoopRunsThenTheWatchdogIsFedAndStoppingAtSigterm) {
  cluster c({.replicas = 0});
  int api_port = free_port();
  auto cfg = write_config(c.dir() / "node1-slotd.yaml", slotd_yaml(c, c.primary(), api_port));
  slotd_process slotd(cfg, c.dir() / "node1-slotd.log");
  notify_socket sock;
  ::setenv("NOTIFY_SOCKET", sock.path().c_str(), 1);
  ::setenv("WATCHDOG_USEC", "1500000", 1); // feed every 0.5 s
  ASSERT_NO_FATAL_FAILURE(slotd.start());
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");

  ASSERT_TRUE(sock.wait_for([](const std::string& m) { return has(m, "READY=1"); }, 30s)) << slotd.log();
  // When READY came, the loop had run and the API answered.
  auto health = http_call(api_port, "GET", "/health");
  EXPECT_EQ(health.status, 200) << health.body;
  EXPECT_EQ(json::parse(health.body)["loop_runs"], true);
  for (auto& m : sock.seen)
    EXPECT_FALSE(has(m, "WATCHDOG=1")) << "no keep-alive before READY";

  int fed = 0;
  sock.wait_for([&](const std::string& m) { return has(m, "WATCHDOG=1") && ++fed == 3; }, 5s);
  EXPECT_GE(fed, 3) << "the watchdog is fed while the HA loop answers";

  auto st = slotd.terminate(30s);
  ASSERT_TRUE(st.has_value()) << slotd.log();
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << slotd.log();
  EXPECT_TRUE(sock.wait_for([](const std::string& m) { return has(m, "STOPPING=1"); }, 2s)) << slotd.log();
}

} // namespace
} // namespace slotd::testing
