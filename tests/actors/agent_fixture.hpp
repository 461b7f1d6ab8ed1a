#pragma once
// Whole agents (every actor, the I/O thread) running in the test process
// against real clusters from the harness.
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <thread>

#include "actors/agent.hpp"
#include "app/api/replies.hpp"
#include "actors/audit_log.hpp"
#include "actors/io_bridge.hpp"
#include "actors/io_scheduler.hpp"
#include "tests/support/pg_harness.hpp"

namespace slotd::testing {

using json = nlohmann::json;

inline model::member member_of(const node& n) {
  model::member m;
  m.name = n.name();
  m.host = "127.0.0.1";
  m.port = n.port();
  return m;
}

struct agent_options {
  std::chrono::milliseconds loop_wait = 1s;
  model::sampling_limits sampling{200ms, 5000ms};
  config::start_role role = config::start_role::automatic;
  std::string stop_command;  // postgresql.stop_command (empty: pg_ctl)
  std::string start_command; // postgresql.start_command
  std::optional<std::chrono::milliseconds> copy_settle; // postgresql.copy_settle (unset: the default)
  // postgresql.copy_method (unset: auto). Tests of file copies pin `file`:
  // on 16 auto creates the copy of a slot that has a consumer on the leader.
  std::optional<model::copy_method_setting> copy_method;
  // failover_slots: leave_out_after scaled to the 1 s loop_wait (the
  // product's default is 30 s for a 10 s loop_wait).
  config::failover_slots_config failover_slots{1, 5s};
  std::string audit_file; // log.audit_file (empty: none)
  config::members_from_config members_from; // members_from (default: the view's members)
  // The agent's member name (name); empty: the node's. The agent is still
  // addressed by the node's name in this fixture.
  std::string name;
};

// The error of a reply the test itself made up: the agent did not answer.
inline const std::string no_reply = "no reply from the agent: ";

// One actor system and I/O thread; an agent per node.
class agents {
public:
  agents() : owned_sys_(std::make_unique<caf::actor_system>(tuned(cfg_, io_))), sys_(*owned_sys_) {
    static bool loggers = [] {
      actors::make_loggers(std::getenv("SLOTD_TEST_LOG") ? std::getenv("SLOTD_TEST_LOG") : "warn", false);
      return true;
    }();
    (void)loggers;
  }
  ~agents() {
    for (auto& [name, a] : agents_)
      a->shutdown();
    agents_.clear();
    owned_sys_.reset(); // waits for the actors, which run on the I/O thread
    io_.stop();
  }

  // Start the agent of `n` with `view` (members, slots, ignore_slots).
  actors::agent& start(const node& n, model::cluster_view view, agent_options o = {}) {
    actors::ha_settings s;
    s.cfg.name = o.name.empty() ? n.name() : o.name;
    s.cfg.scope = "test";
    s.cfg.loop_wait = o.loop_wait;
    s.cfg.role = o.role;
    s.cfg.postgresql.conninfo = "host=127.0.0.1 port=" + std::to_string(n.port()) + " user=postgres dbname=postgres";
    s.cfg.postgresql.data_dir = n.data_dir().string();
    s.cfg.postgresql.bin_dir = pg_install::current().bin_dir.string();
    s.cfg.postgresql.stop_command = o.stop_command;
    s.cfg.postgresql.start_command = o.start_command;
    if (o.copy_settle)
      s.cfg.postgresql.copy_settle = *o.copy_settle;
#ifdef SLOTD_TEST_FILE_COPIES
    // The faults suite injects faults into the file copy's stop and start.
    s.cfg.postgresql.copy_method = model::copy_method_setting::file;
#endif
    if (o.copy_method)
      s.cfg.postgresql.copy_method = *o.copy_method;
    s.cfg.failover_slots = o.failover_slots;
    s.cfg.members_from = o.members_from;
    s.cfg.cluster = std::move(view);
    if (::geteuid() == 0)
      s.run_as = "postgres";
    s.sampling = o.sampling;
    if (!o.audit_file.empty()) {
      s.cfg.log.audit_file = o.audit_file;
      s.audit_out = std::make_shared<actors::audit_file>(o.audit_file);
    }
    auto a = std::make_unique<actors::agent>(sys_, io_, std::move(s));
    auto& ref = *a;
    agents_[n.name()] = std::move(a);
    return ref;
  }

  actors::agent& of(const std::string& name) { return *agents_.at(name); }

  // The agent of `name` shut down as on SIGTERM, and forgotten (start it
  // again with start()).
  void stop(const std::string& name) {
    agents_.at(name)->shutdown();
    agents_.erase(name);
  }

  json status(const std::string& name) {
    caf::scoped_actor self{sys_};
    json out;
    self->request(of(name).ha(), 10s, actors::status_atom_v)
        .receive([&](actors::status_view& v) { out = api::status_json(v); },
                 [&](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
    return out;
  }

  // GET /metrics's text.
  std::string metrics(const std::string& name) {
    caf::scoped_actor self{sys_};
    std::string out;
    self->request(of(name).ha(), 10s, actors::metrics_atom_v)
        .receive([&](actors::metrics_view& v) { out = api::metrics_text(v); },
                 [&](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
    return out;
  }

  json readiness(const std::string& name, bool* ready = nullptr) {
    caf::scoped_actor self{sys_};
    json out;
    self->request(of(name).ha(), 10s, actors::ready_atom_v)
        .receive(
            [&](actors::readiness_view& v) {
              out = api::readiness_json(v);
              if (ready)
                *ready = v.ready;
            },
            [&](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
    return out;
  }

  // Wait until `name` reports every permanent logical slot failover-ready.
  bool wait_ready(const std::string& name, std::chrono::milliseconds timeout = 60s) {
    bool ready = false;
    return eventually([&] {
      readiness(name, &ready);
      return ready;
    }, timeout);
  }

  json dump(const std::string& name) { return json::parse(of(name).dump_state()); }

  // The actors that `name`'s HA loop drives: the local and leader
  // connections, the slot copier and the advance workers.
  actors::ha_helpers helpers_of(const std::string& name) {
    caf::scoped_actor self{sys_};
    actors::ha_helpers out;
    self->request(of(name).ha(), 10s, actors::actors_atom_v)
        .receive([&](actors::ha_helpers& h) { out = std::move(h); },
                 [&](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
    return out;
  }

  actors::promote_reply promote(const std::string& name, std::chrono::milliseconds timeout = 30s,
                                std::optional<std::string> handover_from = std::nullopt) {
    caf::scoped_actor self{sys_};
    actors::promote_reply out;
    self->request(of(name).promote_handler(), timeout + 30s, actors::promote_request{timeout, handover_from})
        .receive([&](actors::promote_reply& r) { out = std::move(r); },
                 [&](caf::error& e) {
                   out.refused = actors::refusal::unavailable;
                   out.error = no_reply + caf::to_string(e);
                 });
    return out;
  }

  actors::demote_reply demote(const std::string& name, const std::string& leader) {
    caf::scoped_actor self{sys_};
    actors::demote_reply out;
    self->request(of(name).promote_handler(), 30s, actors::demote_request{leader})
        .receive([&](actors::demote_reply& r) { out = std::move(r); },
                 [&](caf::error& e) {
                   out.refused = actors::refusal::unavailable;
                   out.error = no_reply + caf::to_string(e);
                 });
    return out;
  }

  // GET /events?since=SEQ's body.
  json events(const std::string& name, std::uint64_t since = 0) {
    caf::scoped_actor self{sys_};
    json out;
    self->request(of(name).ha(), 10s, actors::events_request{since})
        .receive([&](actors::events_reply& r) { out = json::parse(api::to_api_reply(r).body); },
                 [&](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
    return out;
  }

  actors::cluster_update_reply update(const std::string& name, config::cluster_update u) {
    caf::scoped_actor self{sys_};
    actors::cluster_update_reply out;
    self->request(of(name).ha(), 10s, actors::cluster_update_request{std::move(u)})
        .receive([&](actors::cluster_update_reply& r) { out = std::move(r); },
                 [&](caf::error& e) {
                   out.refused = actors::refusal::unavailable;
                   out.error = no_reply + caf::to_string(e);
                 });
    return out;
  }

  // POST /pause (true) or /resume (false); returns "paused" as reported.
  bool pause(const std::string& name, bool paused) {
    caf::scoped_actor self{sys_};
    bool out = !paused;
    self->request(of(name).ha(), 10s, actors::pause_request{paused})
        .receive([&](actors::status_view& v) { out = v.paused; },
                 [&](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
    return out;
  }

  caf::actor_system& system() { return sys_; }

  static caf::actor_system_config& tuned(caf::actor_system_config& cfg, actors::io_runtime& io) {
    actors::run_actors_on_io_thread(cfg, io);
    return cfg;
  }

private:
  actors::io_runtime io_; // before the actor system, whose actors it runs
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> owned_sys_;
  caf::actor_system& sys_;
  std::map<std::string, std::unique_ptr<actors::agent>> agents_;
};

inline model::permanent_slot logical_slot(const std::string& name, const std::string& db, const std::string& plugin) {
  model::permanent_slot s;
  s.name = name;
  s.type = model::slot_type::logical;
  s.database = db;
  s.plugin = plugin;
  return s;
}

inline model::permanent_slot physical_slot(const std::string& name) {
  model::permanent_slot s;
  s.name = name;
  s.type = model::slot_type::physical;
  return s;
}

inline model::cluster_view view_of(cluster& c, std::vector<model::permanent_slot> slots = {}) {
  model::cluster_view v;
  for (std::size_t i = 0; i < c.size(); ++i)
    v.members[c.at(i).name()] = member_of(c.at(i));
  for (auto& s : slots)
    v.slots[s.name] = s;
  return v;
}

// node1 primary and node2 its replica, with the permanent logical slot cdc
// (database app, test_decoding); each agent starts when the test says.
struct cdc_pair {
  explicit cdc_pair(cluster_options o = {.replicas = 1})
      : c(std::move(o)), view(view_of(c, {logical_slot("cdc", "app", "test_decoding")})) {}

  void start(agent_options o = {}) {
    start(p, o);
    start(r, o);
  }
  void start(node& n, agent_options o = {}) { a.start(n, view, o); }
  // node2's HA loop state dump.
  json loop() { return a.dump("node2")["ha_loop"]; }

  cluster c;
  node& p = c.primary();
  node& r = c.replica(0);
  model::cluster_view view;
  agents a; // after the cluster: stopped first
};

// The slots of a node: name → {type, database, plugin, active, confirmed_flush_lsn, restart_lsn}.
inline std::map<std::string, row> slots_of(const node& n) {
  std::map<std::string, row> out;
  for (auto& r : n.query("SELECT slot_name, slot_type, database, plugin, active::text, confirmed_flush_lsn::text, "
                         "restart_lsn::text FROM pg_replication_slots"))
    out[*r[0]] = r;
  return out;
}

// One column of `slot` in pg_replication_slots on `n`, as text (nullopt: no
// slot, or NULL).
inline std::optional<std::string> slot_attr(const node& n, const std::string& slot, const std::string& column) {
  return n.scalar("SELECT (" + column + ")::text FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
}

// When the postmaster of `n` started (changes at every restart).
inline std::string started_at(const node& n) { return n.scalar("SELECT pg_postmaster_start_time()::text").value(); }

// The server of `n` runs and has `slot` (false while it is down).
inline bool runs_with_slot(const node& n, const std::string& slot) {
  try {
    return n.running() && slots_of(n).contains(slot);
  } catch (const harness_error&) {
    return false;
  }
}

// a <= b as pg_lsn, compared by the server `on`.
inline bool lsn_le(const node& on, const std::string& a, const std::string& b) {
  return on.scalar("SELECT '" + a + "'::pg_lsn <= '" + b + "'::pg_lsn") == "t";
}

// A failover of a cdc_pair once node2 has replayed everything: the primary
// stops (fast), node2's agent is told to promote (its reply must be 200
// with no unsafe slot), node2's server is promoted, and cdc's changes there
// are read (test_decoding ids, pg_logical_slot_get_changes).
inline std::set<int> fail_over_and_read_cdc(cdc_pair& x);

// Inserted ids in test_decoding output ("table public.t: INSERT: id[integer]:17").
inline std::vector<int> decoded_ids(const rows& changes) {
  std::vector<int> ids;
  for (auto& r : changes) {
    auto& text = *r[0];
    auto pos = text.find("id[integer]:");
    if (text.find("INSERT") != std::string::npos && pos != std::string::npos)
      ids.push_back(std::stoi(text.substr(pos + 12)));
  }
  return ids;
}

inline std::set<int> fail_over_and_read_cdc(cdc_pair& x) {
  x.r.wait_replay(x.p.current_lsn());
  x.p.stop_fast();
  auto reply = x.a.promote("node2");
  EXPECT_EQ(reply.refused, actors::refusal::none) << reply.error;
  EXPECT_TRUE(reply.unsafe.empty());
  x.r.promote();
  auto ids = decoded_ids(x.r.query("SELECT data FROM pg_logical_slot_get_changes('cdc', NULL, NULL)", "app"));
  return {ids.begin(), ids.end()};
}

} // namespace slotd::testing
