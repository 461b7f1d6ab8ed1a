// Wiring: loggers, the actor system, the I/O thread, the agent, signals.
#include "app/run_agent.hpp"

#include <condition_variable>
#include <filesystem>
#include <deque>
#include <iostream>
#include <mutex>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/audit_log.hpp"
#include "actors/agent.hpp"
#include "actors/io_bridge.hpp"
#include "actors/io_scheduler.hpp"
#include "app/api/api_service.hpp"
#include "app/service_notify.hpp"
#include "config/load.hpp"
#include "config/reload.hpp"
#include "pg/server/debian_cluster.hpp"
#include "slotd/version.hpp"

namespace slotd::app {

namespace {

// Signals arrive on the I/O thread (Asio's signal_set); the main thread acts
// on them, since some actions block (the state dump, the shutdown).
class signal_queue {
public:
  void push(int sig) {
    std::lock_guard lk(mu_);
    q_.push_back(sig);
    cv_.notify_one();
  }
  // The next signal, or nullopt when none came within `wait`.
  std::optional<int> pop_for(std::chrono::milliseconds wait) {
    std::unique_lock lk(mu_);
    if (!cv_.wait_for(lk, wait, [&] { return !q_.empty(); }))
      return std::nullopt;
    int s = q_.front();
    q_.pop_front();
    return s;
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int> q_;
};

void listen_signals(boost::asio::signal_set& signals, signal_queue& queue) {
  signals.async_wait([&signals, &queue](const boost::system::error_code& ec, int sig) {
    if (ec)
      return;
    queue.push(sig);
    listen_signals(signals, queue);
  });
}

// Whether the HA loop answers within `wait`, and whether it has run (ticked).
struct loop_answer {
  bool answered = false;
  bool runs = false;
};
loop_answer ask_loop(caf::actor_system& sys, const actors::agent& agent, std::chrono::milliseconds wait) {
  caf::scoped_actor self{sys};
  loop_answer out;
  self->request(agent.ha(), wait, actors::health_atom_v)
      .receive(
          [&](actors::health_view& h) {
            out.answered = true;
            out.runs = h.loop_runs;
          },
          [&](caf::error&) {});
  return out;
}

// A Debian cluster (its configuration in /etc/postgresql) cannot be started
// with pg_ctl -D: a command the configuration leaves unset becomes
// pg_ctlcluster's, where that is safe (pg/server/debian_cluster). Returns
// why slotd cannot run ("" when it can) and, in `chose`, what it chose.
std::string default_server_commands(config::config& cfg, std::string* chose = nullptr) {
  auto& pgc = cfg.postgresql;
  if (!pgc.stop_command.empty() && !pgc.start_command.empty())
    return "";
  auto cluster = pg::server::find_debian_cluster(pgc.data_dir);
  if (!cluster)
    return "";
  auto commands = pg::server::debian_server_commands(*cluster, pgc.stop_command, pgc.start_command,
                                                     std::filesystem::exists("/run/systemd/system"),
                                                     pg::server::debian_start_conf(*cluster));
  if (!commands.refusal.empty())
    return commands.refusal;
  pgc.stop_command = commands.stop;
  pgc.start_command = commands.start;
  if (chose)
    *chose = "Debian cluster " + cluster->version + "/" + cluster->name + ": stop with '" + commands.stop +
             "', start with '" + commands.start + "'";
  return "";
}

int run_agent_on(caf::actor_system& sys, actors::io_runtime& io, const config::config& cfg,
                 const std::string& config_path, signal_queue& queue, boost::asio::signal_set& signals);

} // namespace

int run_agent(const config::config& file_cfg, const std::string& config_path) {
  actors::make_loggers(std::string(config::to_string(file_cfg.log.level)),
                       file_cfg.log.format == config::log_format::json);
  auto log = spdlog::get("slotd");
  auto cfg = file_cfg;
  std::string chose;
  if (auto refusal = default_server_commands(cfg, &chose); !refusal.empty()) {
    log->error("{}", refusal);
    return 2;
  }
  if (!chose.empty())
    log->info("{}", chose);
  log->info("slotd {} starting: member {}, scope {}, loop_wait {} ms", slotd::version, cfg.name,
            cfg.scope.empty() ? "-" : cfg.scope, cfg.loop_wait.count());

  // The actors run on the I/O thread: io is made before the actor system
  // and stopped only once the actor system is gone (run_agent_on).
  actors::io_runtime io;
  // Signals and the queue they fill outlive io.stop(): a signal's
  // completion may run on the I/O thread until then.
  signal_queue queue;
  boost::asio::signal_set signals(io.context(), SIGTERM, SIGINT, SIGHUP);
  signals.add(SIGUSR1);
  listen_signals(signals, queue);
  caf::actor_system_config caf_cfg; // CAF never sees argv
  actors::run_actors_on_io_thread(caf_cfg, io);
  int code = 0;
  {
    caf::actor_system sys{caf_cfg};
    code = run_agent_on(sys, io, cfg, config_path, queue, signals);
  } // the actor system waits for its actors here, while the I/O thread runs them
  io.stop();
  log->info("slotd stopped");
  return code;
}

namespace {

int run_agent_on(caf::actor_system& sys, actors::io_runtime& io, const config::config& cfg,
                 const std::string& config_path, signal_queue& queue, boost::asio::signal_set& signals) {
  auto log = spdlog::get("slotd");
  actors::ha_settings settings;
  settings.cfg = cfg;
  if (!cfg.log.audit_file.empty()) {
    try {
      settings.audit_out = std::make_shared<actors::audit_file>(cfg.log.audit_file);
    } catch (const std::exception& e) {
      log->error("{}", e.what());
      return 1;
    }
    log->info("audit trail also in {}", cfg.log.audit_file);
  }
  // A core actor that fails ends the program with exit 1 (systemd restarts
  // it): an agent alive without its HA loop would answer nothing useful.
  constexpr int actor_failed = -1;
  auto agent = std::make_unique<actors::agent>(sys, io, settings, [&queue](const std::string&) { queue.push(actor_failed); });

  // The HTTP API: cannot listen (address in use, unreadable token file) →
  // the agent does not run half-controllable.
  std::unique_ptr<api::api_service> api;
  try {
    api = std::make_unique<api::api_service>(sys, io, *agent, api::options_from(cfg.api));
  } catch (const std::exception& e) {
    log->error("{}", e.what());
    agent->shutdown();
    agent.reset();
    return 1;
  }

  // The service manager hears READY once the API listens and the HA loop
  // has run (at most 30 s after the start: a loop that has not run by then
  // says so in /health, and the watchdog below takes over).
  auto ready_by = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!ask_loop(sys, *agent, std::chrono::seconds(2)).runs && std::chrono::steady_clock::now() < ready_by)
    if (auto early = queue.pop_for(std::chrono::milliseconds(100))) {
      queue.push(*early);
      break;
    }
  notify_ready("member " + cfg.name + ": API on " + config::to_string(cfg.api.listen));
  // The watchdog is fed while the HA loop answers a request; a loop that
  // stops answering lets it expire and the service manager restarts slotd.
  // Feeds keep their own schedule (signals in between do not push them
  // back), each ask bounded to a quarter of the watchdog's time.
  using ms = std::chrono::milliseconds;
  auto watchdog = watchdog_interval();
  auto feed_every = watchdog ? std::max(ms(100), std::chrono::duration_cast<ms>(*watchdog / 3)) : ms(std::chrono::hours(1));
  auto ask_within = watchdog ? std::max(ms(100), std::chrono::duration_cast<ms>(*watchdog / 4)) : ms(0);
  auto next_feed = std::chrono::steady_clock::now() + feed_every;

  int exit_code = 0;
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    if (watchdog && now >= next_feed) {
      next_feed = now + feed_every;
      if (ask_loop(sys, *agent, ask_within).answered)
        notify_watchdog();
      continue;
    }
    auto next = queue.pop_for(std::chrono::duration_cast<ms>(next_feed - now) + ms(1));
    if (!next)
      continue;
    int sig = *next;
    if (sig == actor_failed) {
      log->critical("a core actor failed: shutting down (exit 1) so that the service manager restarts slotd");
      exit_code = 1;
      break;
    }
    if (sig == SIGUSR1) {
      std::cout << agent->dump_state() << std::endl;
      continue;
    }
    if (sig == SIGHUP) {
      auto loaded = config::load(config_path);
      for (auto& d : loaded.diagnostics)
        log->warn("{}", config::to_string(d));
      if (!loaded.ok()) {
        log->error("SIGHUP: {} has errors: keeping the running configuration", config_path);
        continue;
      }
      if (auto refusal = default_server_commands(*loaded.value); !refusal.empty()) {
        log->error("SIGHUP: {}: keeping the running configuration", refusal);
        continue;
      }
      log->info("SIGHUP: reloading {}", config_path);
      for (auto& key : config::keys_needing_restart(cfg, *loaded.value))
        log->warn("SIGHUP: {} changed: the running value stays until slotd restarts", key);
      caf::anon_send(agent->ha(), actors::config_reload{*loaded.value});
      try {
        if (!api->reload(loaded.value->api))
          log->warn("SIGHUP: api.listen is now {}, still serving {} until a restart",
                    config::to_string(loaded.value->api.listen), config::to_string(cfg.api.listen));
        log->info("SIGHUP: API token {}", loaded.value->api.token_file.empty()
                                              ? "none: mutations need no token"
                                              : "read again from " + loaded.value->api.token_file);
      } catch (const std::exception& e) {
        log->error("SIGHUP: {}: keeping the current API token", e.what());
      }
      continue;
    }
    log->info("{}: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    break;
  }
  notify_stopping();
  boost::system::error_code ignored;
  signals.cancel(ignored);
  api->stop(); // before the agent: its shutdown waits for every actor
  agent->shutdown();
  agent.reset();
  return exit_code;
}

} // namespace

} // namespace slotd::app
