#pragma once
// Real PostgreSQL clusters for tests: a primary and N streaming replicas on
// 127.0.0.1, free ports, unique data dirs under SLOTD_TEST_ROOT (default
// /tmp/slotd-tests). Servers run as the `postgres` user when the tests run as
// root. Binaries come from SLOTD_PG_BIN (default: Debian's PostgreSQL 15).
// Blocking libpq is fine here: this is test code only.
//
// Clean-up: destructors stop the servers (immediate mode) and remove their
// directories, also when a test fails; `sweep_leftovers()` (run once per
// process, automatically) removes what crashed runs left behind.
#include <chrono>
#include <functional>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace slotd::testing {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct harness_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Where the PostgreSQL server binaries are, and which major they are.
struct pg_install {
  fs::path bin_dir;
  int major = 0;
  static const pg_install& current(); // from SLOTD_PG_BIN, detected once
};

using row = std::vector<std::optional<std::string>>;
using rows = std::vector<row>;

class node {
public:
  node(std::string name, fs::path dir, int port);
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  const std::string& name() const { return name_; }
  int port() const { return port_; }
  const fs::path& data_dir() const { return data_dir_; }
  const fs::path& log_file() const { return log_file_; }

  // "host=127.0.0.1 port=P user=postgres dbname=DB" (no password: trust auth).
  std::string conninfo(const std::string& dbname = "postgres") const;

  // Run SQL (blocking); throws harness_error with the server's message.
  rows query(const std::string& sql, const std::string& dbname = "postgres") const;
  void exec(const std::string& sql, const std::string& dbname = "postgres") const;
  // First column of the first row; nullopt for NULL or no row.
  std::optional<std::string> scalar(const std::string& sql, const std::string& dbname = "postgres") const;

  bool in_recovery() const;
  std::string current_lsn() const; // pg_current_wal_lsn() or the replay LSN on a standby

  void start();
  void stop_fast();
  void stop_immediate();
  void kill9(); // SIGKILL the postmaster and wait until its processes are gone
  void restart();
  void promote(); // pg_ctl promote, waits until the server accepts writes
  bool running() const;
  std::optional<int> postmaster_pid() const;

  // Standby only: wait until it has replayed `lsn` (text form), or throw.
  void wait_replay(const std::string& lsn, std::chrono::milliseconds timeout = 30s) const;

  // Standby only: point primary_conninfo/primary_slot_name at `primary`
  // (creating the physical slot there if missing) and restart.
  void follow(const node& primary);

  // Append settings to postgresql.conf (take effect at the next start/reload).
  void append_conf(const std::string& lines);

  // The physical slot this node uses on its primary.
  std::string slot_name() const;

private:
  friend class cluster;
  void run_pg_ctl(const std::vector<std::string>& args) const;
  std::string name_;
  fs::path data_dir_;
  fs::path log_file_;
  int port_;
};

struct cluster_options {
  int replicas = 2;
  std::string extra_conf;         // appended to every node's postgresql.conf
  bool create_app_database = true; // CREATE DATABASE app
  fs::path dir;                    // default: a fresh dir under test_root()
};

class cluster {
public:
  explicit cluster(cluster_options options = {});
  ~cluster();
  cluster(const cluster&) = delete;
  cluster& operator=(const cluster&) = delete;

  node& primary() { return *nodes_.at(0); } // the node created as primary
  node& replica(std::size_t i) { return *nodes_.at(i + 1); }
  std::size_t size() const { return nodes_.size(); }
  node& at(std::size_t i) { return *nodes_.at(i); }
  node& by_name(const std::string& name);
  const fs::path& dir() const { return dir_; }

  // A new streaming replica of `from` (default: the primary), built with the
  // low-level backup API (works for every major 12-18, no pg_basebackup).
  node& add_replica(node* from = nullptr);
  // A standalone server (e.g. a CDC consumer), not part of replication.
  node& add_standalone(const std::string& name);

  // Leave the servers running and the dir in place when destroyed (for
  // scripts/pg-cluster; tests never do this).
  void detach() { detached_ = true; }

private:
  std::unique_ptr<node> make_node(const std::string& name);
  void shut_down(); // stop every server, remove the directory
  cluster_options options_;
  fs::path dir_;
  std::vector<std::unique_ptr<node>> nodes_;
  bool detached_ = false;
};

// A free TCP port on 127.0.0.1 below the ephemeral range (not reserved:
// start() retries on a clash).
int free_port();

// The root of all test clusters (SLOTD_TEST_ROOT or /tmp/slotd-tests).
fs::path test_root();

// Stop servers and remove dirs left by test processes that no longer run.
// Returns how many cluster dirs were removed.
int sweep_leftovers();

// True while `pid` exists and is not a zombie.
bool process_alive(int pid);

// Poll `pred` every 50 ms until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (pred())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

// Run a program (as `postgres` when root and as_postgres), wait, return exit
// code; output goes to `output` when given.
int run_program(const std::vector<std::string>& argv, bool as_postgres, std::string* output = nullptr);

} // namespace slotd::testing
