#pragma once
// The slotd binary of this build as a child process, run as `postgres`
// (setuid in the child when the tests run as root), with its own YAML
// configuration, its log in a file, and fault points from the environment
// (SLOTD_FAULT_KILL_AT). Killed (SIGKILL) when the object goes.
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tests/actors/agent_fixture.hpp"
#include "tests/app/http_client.hpp"

namespace slotd::testing {

// slotd.yaml for `n` in cluster `c` with the permanent slot cdc, copied as
// files (the faults are injected into the file copy's stop and start).
inline std::string slotd_yaml(cluster& c, const node& n, int api_port, const std::string& extra_postgresql = "") {
  std::ostringstream y;
  y << "name: " << n.name() << "\nscope: faults\nloop_wait: 1s\nrole: auto\npostgresql:\n"
    << "  conninfo: \"host=127.0.0.1 port=" << n.port() << " user=postgres dbname=postgres\"\n"
    << "  data_dir: " << n.data_dir().string() << "\n"
    << "  bin_dir: " << pg_install::current().bin_dir.string() << "\n"
    << "  copy_method: file\n"
    << extra_postgresql << "members:\n";
  for (std::size_t i = 0; i < c.size(); ++i)
    y << "  " << c.at(i).name() << ": {host: 127.0.0.1, port: " << c.at(i).port() << "}\n";
  y << "slots:\n  cdc: {type: logical, database: app, plugin: test_decoding}\n"
    << "api:\n  listen: 127.0.0.1:" << api_port << "\nlog: {level: info, format: text}\n";
  return y.str();
}

// The confirmed_flush_lsn of slot cdc on `n`.
inline std::optional<std::string> cdc_flush(const node& n) {
  return n.scalar("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = 'cdc'");
}

// Rows from..from+n-1 inserted into table t on the primary, then consumed by
// a test_decoding consumer there: the leader's slot cdc moves.
inline void write_and_consume(node& p, int from, int n) {
  p.exec("INSERT INTO t SELECT g FROM generate_series(" + std::to_string(from) + ", " + std::to_string(from + n - 1) +
             ") g",
         "app");
  p.exec("SELECT count(*) FROM pg_logical_slot_get_changes('cdc', NULL, NULL)", "app");
}

class slotd_process {
public:
  slotd_process(fs::path config, fs::path log) : config_(std::move(config)), log_(std::move(log)) {}
  ~slotd_process() { kill9(); }
  slotd_process(const slotd_process&) = delete;
  slotd_process& operator=(const slotd_process&) = delete;

  // Start; `fault` sets SLOTD_FAULT_KILL_AT for this run.
  void start(const std::string& fault = "") {
    kill9();
    struct passwd* pw = ::geteuid() == 0 ? ::getpwnam("postgres") : nullptr;
    uid_t uid = pw ? pw->pw_uid : 0;
    gid_t gid = pw ? pw->pw_gid : 0;
    int out = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    ASSERT_GE(out, 0);
    std::string bin = SLOTD_BINARY_PATH;
    std::string cfg = config_.string();
    // Everything the child needs is built before fork.
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e)
      if (std::string_view(*e).rfind("SLOTD_FAULT_KILL_AT=", 0) != 0)
        env.emplace_back(*e);
    if (!fault.empty())
      env.push_back("SLOTD_FAULT_KILL_AT=" + fault);
    std::vector<char*> envp;
    for (auto& e : env)
      envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<char*> argv{bin.data(), const_cast<char*>("-c"), cfg.data(), nullptr};
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      ::dup2(out, 1);
      ::dup2(out, 2);
      if (pw && (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0))
        ::_exit(126);
      ::execve(bin.c_str(), argv.data(), envp.data());
      ::_exit(127);
    }
    ::close(out);
  }

  // Wait for the exit; the wait status, or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0) {
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        return st;
      }
      if (std::chrono::steady_clock::now() > until)
        return std::nullopt;
      std::this_thread::sleep_for(50ms);
    }
    return std::nullopt;
  }

  std::optional<int> terminate(std::chrono::milliseconds timeout = 60s) {
    if (pid_ <= 0)
      return std::nullopt;
    ::kill(pid_, SIGTERM);
    return wait(timeout);
  }

  void kill9() {
    if (pid_ <= 0)
      return;
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
  }

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  std::string log() const {
    std::ifstream in(log_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

private:
  fs::path config_;
  fs::path log_;
  pid_t pid_ = -1;
};

inline fs::path write_config(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                            fs::perms::others_read);
  return path;
}

} // namespace slotd::testing
