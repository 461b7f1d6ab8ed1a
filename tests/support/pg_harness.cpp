// Real PostgreSQL clusters for tests (see pg_harness.hpp).
#include "tests/support/pg_harness.hpp"

#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

namespace slotd::testing {

namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

bool running_as_root() { return ::geteuid() == 0; }

struct ids {
  uid_t uid;
  gid_t gid;
};

ids postgres_ids() {
  passwd* pw = ::getpwnam("postgres");
  if (!pw)
    throw harness_error("running as root needs a 'postgres' OS user to run the servers");
  return {pw->pw_uid, pw->pw_gid};
}

void chown_to_postgres(const fs::path& p) {
  if (!running_as_root())
    return;
  auto id = postgres_ids();
  if (::lchown(p.c_str(), id.uid, id.gid) != 0)
    throw harness_error("chown " + p.string() + ": " + std::strerror(errno));
}

void chown_tree_to_postgres(const fs::path& root) {
  if (!running_as_root())
    return;
  chown_to_postgres(root);
  for (auto& e : fs::recursive_directory_iterator(root))
    chown_to_postgres(e.path());
}

} // namespace

bool process_alive(int pid) {
  if (pid <= 0)
    return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat)
    return false;
  std::string line;
  std::getline(stat, line);
  auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size())
    return false;
  return line[close + 2] != 'Z';
}

namespace {

// Live processes whose process group is `pgid` (a postmaster started by
// pg_ctl is a session leader: its backends share its group).
std::vector<pid_t> group_members(pid_t pgid) {
  std::vector<pid_t> out;
  for (auto& e : fs::directory_iterator("/proc")) {
    auto name = e.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0])))
      continue;
    std::ifstream stat(e.path() / "stat");
    std::string line;
    if (!stat || !std::getline(stat, line))
      continue;
    auto close = line.rfind(')');
    if (close == std::string::npos)
      continue;
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    long ppid = 0, pgrp = 0;
    rest >> state >> ppid >> pgrp;
    if (state != 'Z' && pgrp == pgid)
      out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

void wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout, const std::string& what) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline)
      throw harness_error("timed out waiting for " + what);
    std::this_thread::sleep_for(10ms);
  }
}

// SIGKILL a postmaster and everything in its process group, and wait until
// they are gone (the zombie is reaped by init a moment later).
void kill_server_group(pid_t postmaster) {
  if (postmaster <= 0)
    return;
  ::kill(postmaster, SIGKILL);
  // Wait until the pid is gone, not only dead: PostgreSQL's lock-file check
  // (kill(pid, 0)) still sees the zombie, and init reaps it only later.
  wait_until([&] { return !fs::exists("/proc/" + std::to_string(postmaster)); }, 20s,
             "postmaster " + std::to_string(postmaster) + " to be reaped");
  for (pid_t p : group_members(postmaster))
    ::kill(p, SIGKILL);
  wait_until([&] { return group_members(postmaster).empty(); }, 20s, "backends of " + std::to_string(postmaster));
}

std::optional<pid_t> read_postmaster_pid(const fs::path& data_dir) {
  std::ifstream f(data_dir / "postmaster.pid");
  long pid = 0;
  if (!(f >> pid) || pid <= 0)
    return std::nullopt;
  return static_cast<pid_t>(pid);
}

// A server being stopped or started by an agent under test (a slot copy
// restarts it at any moment): worth retrying for a few seconds.
bool is_transient(const std::string& msg) {
  for (const char* m : {"Connection refused", "starting up", "shutting down", "closed the connection unexpectedly",
                        "terminating connection due to administrator command", "no connection to the server"})
    if (msg.find(m) != std::string::npos)
      return true;
  return false;
}

struct pq_conn {
  PGconn* c;
  explicit pq_conn(const std::string& conninfo) : c(nullptr) {
    // An agent under test may restart a server for a slot copy at any time:
    // a refused or not-yet-ready server is retried for a few seconds.
    auto until = std::chrono::steady_clock::now() + 5s;
    for (;;) {
      c = PQconnectdb(conninfo.c_str());
      if (PQstatus(c) == CONNECTION_OK)
        break;
      std::string msg = PQerrorMessage(c);
      PQfinish(c);
      bool transient = is_transient(msg);
      if (!transient || std::chrono::steady_clock::now() > until)
        throw harness_error("connect (" + conninfo + "): " + msg);
      std::this_thread::sleep_for(50ms);
    }
    // Notices ("WAL archiving is not enabled") are noise in test output.
    PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
  }
  ~pq_conn() { PQfinish(c); }
  rows run(const std::string& sql) {
    PGresult* r = PQexec(c, sql.c_str());
    auto st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
      std::string msg = PQresultErrorMessage(r);
      PQclear(r);
      throw harness_error("query failed: " + sql + ": " + msg);
    }
    rows out;
    for (int i = 0; i < PQntuples(r); ++i) {
      row rw;
      for (int j = 0; j < PQnfields(r); ++j)
        rw.push_back(PQgetisnull(r, i, j) ? std::nullopt : std::optional<std::string>(PQgetvalue(r, i, j)));
      out.push_back(std::move(rw));
    }
    PQclear(r);
    return out;
  }
};

std::string quote_literal(const std::string& s) {
  std::string out = "'";
  for (char ch : s) {
    if (ch == '\'')
      out += '\'';
    out += ch;
  }
  return out + "'";
}

// What a base backup leaves out (as pg_basebackup does): runtime files, WAL,
// slots, temporary and statistics directories.
bool excluded_from_backup(const fs::path& rel) {
  static const std::vector<std::string> skip_contents = {"pg_wal", "pg_replslot", "pg_stat_tmp", "pg_dynshmem",
                                                         "pg_notify", "pg_serial", "pg_snapshots", "pg_subtrans"};
  static const std::vector<std::string> skip_files = {"postmaster.pid", "postmaster.opts", "standby.signal",
                                                      "recovery.signal", "backup_label", "tablespace_map"};
  auto first = rel.begin()->string();
  if (std::distance(rel.begin(), rel.end()) == 1) {
    for (auto& f : skip_files)
      if (first == f)
        return true;
    return false;
  }
  for (auto& d : skip_contents)
    if (first == d)
      return true;
  auto leaf = rel.filename().string();
  return leaf == "pg_internal.init" || leaf.rfind("pgsql_tmp", 0) == 0;
}

void copy_data_dir(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  fs::permissions(to, fs::perms::owner_all);
  for (auto it = fs::recursive_directory_iterator(from, fs::directory_options::skip_permission_denied);
       it != fs::recursive_directory_iterator(); ++it) {
    std::error_code ec;
    auto rel = fs::relative(it->path(), from, ec);
    if (ec || excluded_from_backup(rel)) {
      if (!ec && it->is_directory(ec))
        it.disable_recursion_pending();
      continue;
    }
    auto dst = to / rel;
    if (it->is_directory(ec)) {
      fs::create_directories(dst, ec);
      fs::permissions(dst, fs::status(it->path(), ec).permissions(), ec);
    } else {
      // Files may vanish while the server runs: skip those, as pg_basebackup does.
      fs::copy_file(it->path(), dst, fs::copy_options::overwrite_existing, ec);
    }
  }
  for (auto d : {"pg_wal", "pg_wal/archive_status", "pg_replslot", "pg_stat_tmp", "pg_dynshmem", "pg_notify",
                 "pg_serial", "pg_snapshots", "pg_subtrans"}) {
    fs::create_directories(to / d);
    fs::permissions(to / d, fs::perms::owner_all);
  }
}

std::string slot_name_of(const std::string& node_name) {
  std::string s;
  for (char c : node_name) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    s += (std::isalnum(static_cast<unsigned char>(l)) || l == '_') ? l : '_';
  }
  return s;
}

std::atomic<int> cluster_seq{0};
std::once_flag sweep_once;

} // namespace

// ---------------------------------------------------------------- install

const pg_install& pg_install::current() {
  static const pg_install inst = [] {
    pg_install p;
    p.bin_dir = env_or("SLOTD_PG_BIN", "/usr/lib/postgresql/15/bin");
    std::string out;
    if (run_program({(p.bin_dir / "postgres").string(), "--version"}, false, &out) != 0)
      throw harness_error("cannot run " + (p.bin_dir / "postgres").string() + " --version: " + out);
    std::smatch m;
    if (!std::regex_search(out, m, std::regex(R"(\(PostgreSQL\) (\d+))")))
      throw harness_error("cannot read the major version from: " + out);
    p.major = std::stoi(m[1]);
    return p;
  }();
  return inst;
}

fs::path test_root() { return env_or("SLOTD_TEST_ROOT", "/tmp/slotd-tests"); }

// A port below the ephemeral range (32768-60999 here): a port the OS hands
// out there may be taken as the source port of some client connection
// between the choice and the server's bind (a restart reuses the port, so
// that window is open for the whole test). Chosen at random, checked free.
int free_port() {
  static std::mt19937 rng(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  std::uniform_int_distribution<int> pick(20000, 32767);
  for (int attempt = 0; attempt < 500; ++attempt) {
    int port = pick(rng);
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
      throw harness_error("socket: " + std::string(std::strerror(errno)));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (free)
      return port;
  }
  throw harness_error("no free port in 20000-32767");
}

int sweep_leftovers() {
  auto root = test_root();
  std::error_code ec;
  if (!fs::exists(root, ec))
    return 0;
  int removed = 0;
  for (auto& e : fs::directory_iterator(root, ec)) {
    auto name = e.path().filename().string();
    long owner = std::atol(name.c_str());
    if (owner > 0 && process_alive(static_cast<pid_t>(owner)))
      continue; // a running test process owns it
    for (auto& sub : fs::directory_iterator(e.path(), ec)) {
      if (auto pid = read_postmaster_pid(sub.path()); pid && process_alive(*pid)) {
        std::cerr << "[harness] stopping leftover server " << sub.path() << " (pid " << *pid << ")\n";
        kill_server_group(*pid);
      }
    }
    // A server just killed may leave a file being created under the tree
    // as it is removed (remove_all then fails on a non-empty directory):
    // try again briefly, and say why when it still fails.
    std::error_code rm;
    for (int attempt = 0; attempt < 20; ++attempt) {
      rm.clear();
      fs::remove_all(e.path(), rm);
      if (!rm && !fs::exists(e.path()))
        break;
      std::this_thread::sleep_for(100ms);
    }
    if (rm)
      std::cerr << "[harness] could not remove " << e.path() << ": " << rm.message() << "\n";
    ++removed;
  }
  return removed;
}

// ------------------------------------------------------------------- node

node::node(std::string name, fs::path dir, int port)
    : name_(std::move(name)), data_dir_(dir / name_), log_file_(dir / (name_ + ".log")), port_(port) {}

node::~node() = default;

std::string node::conninfo(const std::string& dbname) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + dbname +
         " connect_timeout=10 application_name=slotd_tests";
}

rows node::query(const std::string& sql, const std::string& dbname) const {
  auto until = std::chrono::steady_clock::now() + 5s;
  for (;;) {
    try {
      pq_conn c(conninfo(dbname));
      return c.run(sql);
    } catch (const harness_error& e) {
      // A statement cut off by a restart did not commit: run it again.
      if (!is_transient(e.what()) || std::chrono::steady_clock::now() > until)
        throw;
      std::this_thread::sleep_for(50ms);
    }
  }
}

void node::exec(const std::string& sql, const std::string& dbname) const { (void)query(sql, dbname); }

std::optional<std::string> node::scalar(const std::string& sql, const std::string& dbname) const {
  auto r = query(sql, dbname);
  if (r.empty() || r[0].empty())
    return std::nullopt;
  return r[0][0];
}

bool node::in_recovery() const { return scalar("SELECT pg_is_in_recovery()") == "t"; }

std::string node::current_lsn() const {
  return scalar("SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END")
      .value_or("0/0");
}

std::string node::slot_name() const { return slot_name_of(name_); }

void node::run_pg_ctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {(pg_install::current().bin_dir / "pg_ctl").string(), "-D", data_dir_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out;
  int rc = run_program(argv, true, &out);
  if (rc != 0) {
    std::string tail;
    std::ifstream log(log_file_);
    std::string line;
    std::vector<std::string> lines;
    while (std::getline(log, line))
      lines.push_back(line);
    for (std::size_t i = lines.size() > 15 ? lines.size() - 15 : 0; i < lines.size(); ++i)
      tail += "\n  " + lines[i];
    throw harness_error("pg_ctl " + args.front() + " failed for " + name_ + " (exit " + std::to_string(rc) +
                        "): " + out + "\nlog tail:" + tail);
  }
}

void node::start() { run_pg_ctl({"start", "-w", "-t", "60", "-l", log_file_.string()}); }
void node::stop_fast() { run_pg_ctl({"stop", "-m", "fast", "-w", "-t", "60"}); }
void node::stop_immediate() { run_pg_ctl({"stop", "-m", "immediate", "-w", "-t", "60"}); }
void node::restart() {
  if (running())
    stop_fast();
  start();
}

std::optional<int> node::postmaster_pid() const {
  auto pid = read_postmaster_pid(data_dir_);
  if (pid && process_alive(*pid))
    return *pid;
  return std::nullopt;
}

bool node::running() const { return postmaster_pid().has_value(); }

void node::kill9() {
  auto pid = postmaster_pid();
  if (!pid)
    throw harness_error(name_ + " is not running");
  kill_server_group(*pid);
}

void node::promote() {
  run_pg_ctl({"promote", "-w", "-t", "60"});
  wait_until([&] { return !in_recovery(); }, 30s, name_ + " to leave recovery");
}

void node::wait_replay(const std::string& lsn, std::chrono::milliseconds timeout) const {
  auto sql = "SELECT pg_last_wal_replay_lsn() >= " + quote_literal(lsn) + "::pg_lsn";
  wait_until([&] { return scalar(sql) == "t"; }, timeout, name_ + " to replay " + lsn);
}

void node::append_conf(const std::string& lines) {
  std::ofstream f(data_dir_ / "postgresql.conf", std::ios::app);
  f << "\n" << lines << "\n";
  if (!f)
    throw harness_error("cannot append to " + (data_dir_ / "postgresql.conf").string());
}

void node::follow(const node& primary) {
  primary.exec("SELECT pg_create_physical_replication_slot(" + quote_literal(slot_name()) +
               ", true) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = " +
               quote_literal(slot_name()) + ")");
  bool was_running = running();
  if (was_running)
    stop_fast();
  auto auto_conf = data_dir_ / "postgresql.auto.conf";
  std::string kept;
  {
    std::ifstream in(auto_conf);
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("primary_conninfo", 0) != 0 && line.rfind("primary_slot_name", 0) != 0)
        kept += line + "\n";
  }
  {
    std::ofstream out(auto_conf, std::ios::trunc);
    out << kept << "primary_conninfo = " << quote_literal(primary.conninfo("postgres") + " application_name=" + name_)
        << "\nprimary_slot_name = " << quote_literal(slot_name()) << "\n";
  }
  std::ofstream(data_dir_ / "standby.signal").flush();
  chown_to_postgres(data_dir_ / "standby.signal");
  chown_to_postgres(auto_conf);
  start();
}

// ---------------------------------------------------------------- cluster

cluster::cluster(cluster_options options) : options_(std::move(options)) {
  std::call_once(sweep_once, [] { sweep_leftovers(); });
  auto root = test_root();
  fs::create_directories(root);
  dir_ = options_.dir.empty() ? root / (std::to_string(::getpid()) + "-" + std::to_string(cluster_seq++))
                              : options_.dir;
  if (fs::exists(dir_) && !fs::is_empty(dir_))
    throw harness_error(dir_.string() + " exists and is not empty");
  fs::create_directories(dir_);
  chown_to_postgres(dir_);
  try {
    auto& p = *nodes_.emplace_back(make_node("node1"));
    std::string out;
    int rc = run_program({(pg_install::current().bin_dir / "initdb").string(), "-D", p.data_dir().string(), "-U",
                          "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"},
                         true, &out);
    if (rc != 0)
      throw harness_error("initdb failed: " + out);
    p.append_conf("# slotd test harness\n"
                  "listen_addresses = '127.0.0.1'\n"
                  "unix_socket_directories = ''\n"
                  "wal_level = logical\n"
                  "hot_standby_feedback = on\n"
                  "max_replication_slots = 30\n"
                  "max_wal_senders = 30\n"
                  "max_connections = 60\n"
                  "shared_buffers = 16MB\n"
                  "fsync = off\n"
                  "wal_receiver_status_interval = 1s\n"
                  "wal_retrieve_retry_interval = 500ms\n"
                  "wal_log_hints = on\n" // pg_rewind of a former primary
                  "log_line_prefix = '%m [%p] %q%a '\n" +
                  options_.extra_conf);
    // The port is chosen free just before start; retry on a clash.
    for (int attempt = 0;; ++attempt) {
      p.append_conf("port = " + std::to_string(p.port()));
      try {
        p.start();
        break;
      } catch (const harness_error&) {
        if (attempt >= 3)
          throw;
        p.port_ = free_port();
      }
    }
    if (options_.create_app_database)
      p.exec("CREATE DATABASE app");
    for (int i = 0; i < options_.replicas; ++i)
      add_replica();
  } catch (...) {
    shut_down();
    throw;
  }
}

cluster::~cluster() { shut_down(); }

void cluster::shut_down() {
  if (detached_)
    return;
  for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) {
    if (auto pid = (*it)->postmaster_pid()) {
      try {
        (*it)->stop_immediate();
      } catch (const std::exception& e) {
        std::cerr << "[harness] " << e.what() << "\n";
      }
      if (process_alive(*pid) || !group_members(*pid).empty()) {
        try {
          kill_server_group(*pid);
        } catch (const std::exception& e) {
          std::cerr << "[harness] " << e.what() << "\n";
        }
      }
    }
  }
  nodes_.clear();
  std::error_code ec;
  if (!dir_.empty() && std::getenv("SLOTD_TEST_KEEP") == nullptr)
    fs::remove_all(dir_, ec);
}

std::unique_ptr<node> cluster::make_node(const std::string& name) {
  return std::make_unique<node>(name, dir_, free_port());
}

node& cluster::by_name(const std::string& name) {
  for (auto& n : nodes_)
    if (n->name() == name)
      return *n;
  throw harness_error("no node named " + name);
}

node& cluster::add_replica(node* from) {
  node& src = from ? *from : primary();
  auto& r = *nodes_.emplace_back(make_node("node" + std::to_string(nodes_.size() + 1)));
  auto slot = quote_literal(r.slot_name());
  src.exec("SELECT pg_create_physical_replication_slot(" + slot +
           ", true) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = " + slot + ")");
  int major = pg_install::current().major;
  {
    // The low-level backup API: works on every major 12-18 and needs no
    // pg_basebackup (the npm server packages do not have it).
    pq_conn c(src.conninfo());
    c.run(major >= 15 ? "SELECT pg_backup_start('slotd-test', true)"
                      : "SELECT pg_start_backup('slotd-test', true, false)");
    copy_data_dir(src.data_dir(), r.data_dir());
    auto label = c.run(major >= 15 ? "SELECT labelfile FROM pg_backup_stop(true)"
                                   : "SELECT labelfile FROM pg_stop_backup(false, true)");
    std::ofstream(r.data_dir() / "backup_label") << label.at(0).at(0).value_or("");
  }
  // Settings that belong to the source node stay behind.
  r.append_conf("port = " + std::to_string(r.port()));
  chown_tree_to_postgres(r.data_dir());
  r.follow(src);
  return r;
}

node& cluster::add_standalone(const std::string& name) {
  auto& n = *nodes_.emplace_back(make_node(name));
  std::string out;
  if (run_program({(pg_install::current().bin_dir / "initdb").string(), "-D", n.data_dir().string(), "-U",
                   "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"},
                  true, &out) != 0)
    throw harness_error("initdb failed: " + out);
  n.append_conf("listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\nfsync = off\n"
                "max_connections = 40\nshared_buffers = 16MB\nport = " +
                std::to_string(n.port()) + "\n" + options_.extra_conf);
  n.start();
  return n;
}

} // namespace slotd::testing
