// slotd_bench: figures for bench/results.md (run by scripts/bench).
//   freshness     how far a replica's copy of a logical slot trails the
//                 primary's confirmed_flush_lsn under steady load
//   cycle         wall and CPU per HA-loop cycle with 1/100/1000 slots
//   ready         promote -> reply, and slot creation -> copy ready on a replica
//   idle          RSS and idle CPU of one slotd process
//   copies        replica restarts and downtime per copied slot, on the
//                 major of SLOTD_PG_BIN (scripts/bench runs it per major)
// Prints Markdown on stdout. Uses real servers from the test harness.
#include <libpq-fe.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <fstream>
#include <thread>

#include "tests/actors/agent_fixture.hpp"

using namespace slotd;
using namespace slotd::testing;
using clk = std::chrono::steady_clock;

namespace {

double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::uint64_t lsn_value(const std::string& text) { return pg::lsn::parse(text).value_or(pg::lsn{}).value(); }

void freshness(int seconds) {
  cluster c({.replicas = 1});
  auto& p = c.primary();
  auto& r = c.replica(0);
  p.exec("CREATE TABLE t (id bigserial primary key, pad text)", "app");
  auto view = view_of(c, {logical_slot("cdc", "app", "test_decoding")});
  agents a;
  agent_options o;
  o.loop_wait = 10s; // the default; advances run on their own cadence
  o.sampling = {200ms, 5000ms}; // the agent's defaults
  a.start(p, view, o);
  a.start(r, view, o);
  a.wait_ready("node2");

  std::atomic<bool> stop{false};
  std::thread load([&] {
    // ~100 small transactions/s, and a consumer confirming every 100 ms.
    int i = 0;
    while (!stop) {
      p.exec("INSERT INTO t (pad) SELECT repeat('x', 100) FROM generate_series(1, 10)", "app");
      if (++i % 10 == 0)
        p.exec("SELECT pg_replication_slot_advance('cdc', pg_current_wal_lsn())", "app");
      std::this_thread::sleep_for(10ms);
    }
  });
  std::deque<std::pair<clk::time_point, std::uint64_t>> history; // primary cf over time
  std::vector<double> lag_bytes, lag_seconds;
  auto end = clk::now() + std::chrono::seconds(seconds);
  while (clk::now() < end) {
    auto now = clk::now();
    auto pcf = lsn_value(p.scalar("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'cdc'").value());
    auto rcf = lsn_value(r.scalar("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'cdc'").value());
    history.emplace_back(now, pcf);
    lag_bytes.push_back(pcf > rcf ? static_cast<double>(pcf - rcf) : 0);
    // Staleness: how long ago the primary's position was where the copy is.
    double stale = 0;
    for (auto& [t, v] : history)
      if (v > rcf) {
        stale = std::chrono::duration<double>(now - t).count();
        break;
      }
    lag_seconds.push_back(stale);
    while (!history.empty() && now - history.front().first > 30s)
      history.pop_front();
    std::this_thread::sleep_for(100ms);
  }
  stop = true;
  load.join();
  std::printf("| freshness (loop_wait 10s, leader sampled every 200 ms to 5 s as slots move, ~1000 rows/s, consumer confirms every 100 ms, %d s) | "
              "p50 %.0f bytes / %.2f s | p99 %.0f bytes / %.2f s |\n",
              seconds, percentile(lag_bytes, 0.5), percentile(lag_seconds, 0.5), percentile(lag_bytes, 0.99),
              percentile(lag_seconds, 0.99));
}

void cycle_cost(int slots, int databases) {
  cluster_options co;
  co.replicas = 1;
  co.extra_conf = "max_replication_slots = 1200\nmax_connections = 200\nmax_wal_senders = 20\n";
  cluster c(co);
  auto& p = c.primary();
  auto& r = c.replica(0);
  std::vector<model::permanent_slot> perm;
  for (int d = 0; d < databases; ++d)
    if (d > 0)
      p.exec("CREATE DATABASE db" + std::to_string(d));
  for (int i = 0; i < slots; ++i) {
    int d = i % databases;
    auto db = d == 0 ? std::string("app") : "db" + std::to_string(d);
    auto name = "s" + std::to_string(i);
    p.exec("SELECT pg_create_logical_replication_slot('" + name + "', 'test_decoding')", db);
    perm.push_back(logical_slot(name, db, "test_decoding"));
  }
  auto view = view_of(c, perm);
  agents a;
  agent_options o;
  o.loop_wait = 500ms;
  o.sampling = {500ms, 500ms}; // a sample at most every full cycle
  a.start(r, view, o);
  // Wait for the copy (one restart) and a steady state.
  eventually([&] { return a.dump("node2")["ha_loop"]["copies"].get<int>() >= slots; }, 180s);
  std::this_thread::sleep_for(3s);
  // Only the first and last dump fall in the window: the dump of 1000 slots
  // is itself work the agent does.
  auto d0 = a.dump("node2")["ha_loop"];
  auto cpu0 = cpu_seconds();
  std::this_thread::sleep_for(10s);
  auto cpu = cpu_seconds() - cpu0;
  auto d1 = a.dump("node2")["ha_loop"];
  auto cycles = d1["cycles"].get<long>() - d0["cycles"].get<long>();
  auto wall_us = d1["total_cycle_us"].get<double>() - d0["total_cycle_us"].get<double>();
  std::printf("| cycle, replica, %d slot(s) in %d database(s) | wall %.1f ms/cycle (max %.1f ms) | CPU %.1f ms/cycle "
              "(the whole agent process: all actors, I/O thread, advance workers; %ld cycles in 10 s) |\n",
              slots, databases, cycles > 0 ? wall_us / 1000.0 / static_cast<double>(cycles) : 0,
              d1["max_cycle_us"].get<double>() / 1000.0, cycles > 0 ? cpu * 1000 / static_cast<double>(cycles) : 0,
              cycles);
}

void readiness_times() {
  cluster c({.replicas = 1});
  auto& p = c.primary();
  auto& r = c.replica(0);
  auto view = view_of(c);
  agents a;
  a.start(p, view);
  a.start(r, view);
  std::this_thread::sleep_for(2s);
  // A permanent slot is declared on both agents at t0.
  config::cluster_update u;
  u.slots = std::map<std::string, model::permanent_slot>{{"cdc", logical_slot("cdc", "app", "test_decoding")}};
  auto t0 = clk::now();
  a.update("node1", u);
  a.update("node2", u);
  bool ready = false;
  eventually([&] {
    a.readiness("node2", &ready);
    return ready && slots_of(r).contains("cdc");
  }, 120s);
  auto created_to_ready = std::chrono::duration<double>(clk::now() - t0).count();
  p.stop_fast();
  auto t1 = clk::now();
  auto reply = a.promote("node2");
  auto promote_s = std::chrono::duration<double>(clk::now() - t1).count();
  std::printf("| slot declared -> created on the primary, copied, failover-ready on the replica | %.2f s | "
              "(loop_wait 1s, leader sampled every 200 ms to 5 s; includes one restart of the replica) |\n",
              created_to_ready);
  std::printf("| promote (final advance) -> reply, all slots ready | %.3f s | ready: %zu, unsafe: %zu |\n", promote_s,
              reply.ready.size(), reply.unsafe.size());
}

// Copies on this major (copy_method auto): replica restarts while three
// permanent slots come up at bootstrap and when one more is declared at run
// time; seconds from the declaration to failover-ready; seconds the replica
// refused connections meanwhile (polled every 50 ms).
void copy_costs() {
  cluster c({.replicas = 1});
  auto& p = c.primary();
  auto& r = c.replica(0);
  auto major = pg_install::current().major;
  std::vector<model::permanent_slot> three{logical_slot("s1", "app", "test_decoding"),
                                           logical_slot("s2", "app", "test_decoding"),
                                           logical_slot("s3", "app", "test_decoding")};
  agents a;
  auto loop = [&] { return a.dump("node2")["ha_loop"]; };
  std::atomic<bool> stop{false};
  std::atomic<long> down_ms{0};
  std::thread poller([&] {
    while (!stop) {
      auto t = clk::now();
      // One attempt, no retry (the harness's queries retry through a restart).
      bool up = PQping(r.conninfo("postgres").c_str()) == PQPING_OK;
      std::this_thread::sleep_for(50ms);
      if (!up)
        down_ms += std::chrono::duration_cast<std::chrono::milliseconds>(clk::now() - t).count();
    }
  });
  // A writer (a row every 200 ms) and consumers that poll every 200 ms:
  // their slots' confirmed_flush_lsn follows the primary's WAL.
  // copy_method auto (the default) on 12-16: on 16 it creates the copies of
  // these consumed slots (on a database nobody writes to, a slot does not
  // move, and auto copies it by file); create on 17+, where auto leaves the
  // copies of failover slots to PostgreSQL and copies the others by file.
  p.exec("CREATE TABLE bench_w (id serial primary key)", "app");
  std::thread consumers([&] {
    while (!stop) {
      try {
        p.exec("INSERT INTO bench_w DEFAULT VALUES", "app");
      } catch (const std::exception&) {
      }
      for (auto* slot : {"s1", "s2", "s3", "s4"})
        try {
          p.query(std::string("SELECT 1 FROM pg_logical_slot_get_changes('") + slot + "', NULL, NULL)", "app");
        } catch (const std::exception&) {
        }
      std::this_thread::sleep_for(200ms);
    }
  });
  agent_options o;
  o.copy_method = major >= 17 ? model::copy_method_setting::create : model::copy_method_setting::automatic;
  a.start(p, view_of(c, three), o);
  a.start(r, view_of(c, three), o);
  bool ready = a.wait_ready("node2", 120s);
  auto boot_restarts = loop()["restarts"].get<long>();
  auto boot_down = down_ms.load() / 1000.0;
  std::this_thread::sleep_for(3s);
  auto restarts_before = loop()["restarts"].get<long>();
  down_ms = 0;
  config::cluster_update u;
  auto four = three;
  four.push_back(logical_slot("s4", "app", "test_decoding"));
  u.slots = view_of(c, four).slots;
  auto t0 = clk::now();
  a.update("node1", u);
  a.update("node2", u);
  bool ready4 = eventually([&] {
    bool ok = false;
    a.readiness("node2", &ok);
    return ok && loop()["desired"].contains("s4") && slot_attr(r, "s4", "confirmed_flush_lsn").has_value();
  }, 120s);
  auto to_ready = std::chrono::duration<double>(clk::now() - t0).count();
  stop = true;
  poller.join();
  consumers.join();
  auto l = loop();
  std::printf("| copies on PostgreSQL %d (copy_method %s: %ld created, %ld file copies) | bootstrap, 3 slots: %ld restart(s), replica down "
              "%.1f s; one slot added: %ld restart(s), replica down %.1f s, declared -> failover-ready %.2f s | "
              "loop_wait 1s, copy_settle 2s%s |\n",
              major, major >= 17 ? "create" : "auto", l["created_copies"].get<long>(), l["copies"].get<long>() - l["created_copies"].get<long>(),
              boot_restarts, boot_down,
              l["restarts"].get<long>() - restarts_before, down_ms.load() / 1000.0, to_ready,
              ready && ready4 ? "" : "; NOT READY within 120 s");
}

void idle_process(const std::string& slotd_path, int seconds) {
  cluster c({.replicas = 0});
  auto& p = c.primary();
  auto yaml = c.dir() / "slotd.yaml";
  {
    std::ofstream f(yaml);
    f << "name: node1\nloop_wait: 10s\nrole: auto\npostgresql:\n  conninfo: \"host=127.0.0.1 port=" << p.port()
      << " user=postgres dbname=postgres\"\n  data_dir: " << p.data_dir().string()
      << "\nmembers:\n  node1: {host: 127.0.0.1, port: " << p.port()
      << "}\nslots:\n  cdc: {type: logical, database: app, plugin: test_decoding}\napi:\n  listen: 127.0.0.1:"
      << free_port() << "\nlog: {level: warn}\n";
  }
  std::filesystem::permissions(yaml, std::filesystem::perms::others_read, std::filesystem::perm_options::add);
  pid_t pid = fork();
  if (pid == 0) {
    if (::geteuid() == 0)
      execlp("runuser", "runuser", "-u", "postgres", "--", slotd_path.c_str(), "-c", yaml.c_str(), nullptr);
    else
      execl(slotd_path.c_str(), slotd_path.c_str(), "-c", yaml.c_str(), nullptr);
    _exit(127);
  }
  std::this_thread::sleep_for(3s);
  // runuser forks the agent: find it.
  pid_t agent = pid;
  for (auto& e : std::filesystem::directory_iterator("/proc")) {
    std::ifstream cmd(e.path() / "cmdline");
    std::string s((std::istreambuf_iterator<char>(cmd)), {});
    if (s.find(yaml.string()) != std::string::npos && s.find("runuser") == std::string::npos)
      agent = std::atoi(e.path().filename().c_str());
  }
  auto ticks = [&] {
    std::ifstream f("/proc/" + std::to_string(agent) + "/stat");
    std::string line;
    std::getline(f, line);
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    std::vector<std::string> fields;
    while (rest >> field)
      fields.push_back(field);
    return std::stol(fields.at(11)) + std::stol(fields.at(12)); // utime + stime
  };
  auto rss = [&] {
    std::ifstream f("/proc/" + std::to_string(agent) + "/status");
    std::string line;
    while (std::getline(f, line))
      if (line.rfind("VmRSS:", 0) == 0)
        return std::stol(line.substr(6));
    return 0L;
  };
  auto t0 = ticks();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  auto t1 = ticks();
  auto hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::printf("| one slotd (primary, 1 logical slot, loop_wait 10s), idle %d s | RSS %.1f MiB | CPU %.2f %% of one core |\n",
              seconds, static_cast<double>(rss()) / 1024.0,
              100.0 * (static_cast<double>(t1 - t0) / hz) / seconds);
  kill(agent, SIGTERM);
  int st = 0;
  waitpid(pid, &st, 0);
}

} // namespace

int main(int argc, char** argv) {
  std::string what = argc > 1 ? argv[1] : "all";
  std::string slotd = argc > 2 ? argv[2] : "";
  std::printf("| measurement | figure | notes |\n|---|---|---|\n");
  std::fflush(stdout);
  if (what == "all" || what == "freshness")
    freshness(30);
  std::fflush(stdout);
  if (what == "all" || what == "cycle") {
    cycle_cost(1, 1);
    std::fflush(stdout);
    cycle_cost(100, 10);
    std::fflush(stdout);
    cycle_cost(1000, 50);
  }
  std::fflush(stdout);
  if (what == "all" || what == "ready")
    readiness_times();
  std::fflush(stdout);
  if (what == "copies") // run per major by scripts/bench
    copy_costs();
  std::fflush(stdout);
  if ((what == "all" || what == "idle") && !slotd.empty())
    idle_process(slotd, 20);
  return 0;
}
