// The HA loop in virtual time (CAF's test coordinator), against fake
// actors: the local and leader connections, the slot copier and the advance
// workers (ha_spawners). The fakes answer what the test sets and record what
// the loop asks. Covered: promote during a copy, ticks during a final
// advance, the leader lost (refusing, then silent), and demote racing a
// promote. The same paths on real servers: tests/faults.
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>
#include <caf/detail/test_actor_clock.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "actors/agent.hpp"
#include "actors/interfaces.hpp"
#include "virtual_time.hpp"
#include "actors/io_bridge.hpp"
#include "actors/spawn.hpp"
#include "app/api/replies.hpp"
#include "tests/app/prometheus_parser.hpp"

using namespace slotd;
using namespace slotd::actors;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

pg::lsn at(std::uint64_t v) { return pg::lsn(v); }

// The value of sample `name` whose labels include `label` (nullopt: none).
std::optional<double> sample(const std::string& text, const std::string& name,
                             std::pair<std::string, std::string> label = {}) {
  auto x = slotd::testing::parse_exposition(text);
  for (auto& s : x.samples)
    if (s.name == name && (label.first.empty() || (s.labels.contains(label.first) && s.labels.at(label.first) == label.second)))
      return s.value;
  return std::nullopt;
}

model::local_slot logical_slot(const std::string& name, std::uint64_t confirmed) {
  model::local_slot s;
  s.name = name;
  s.type = model::slot_type::logical;
  s.database = "app";
  s.plugin = "pgoutput";
  s.catalog_xmin = pg::xid(700);
  s.restart_lsn = at(confirmed);
  s.confirmed_flush_lsn = at(confirmed);
  return s;
}

// What the fakes answer and what they were asked (one test thread: the
// coordinator runs every actor on it).
struct world {
  local_snapshot local;
  bool local_silent = false; // snapshot requests are never answered
  int local_snapshots = 0;
  int details_reads = 0; // of which with the operator figures (full cycles)
  std::vector<local_actions> actions;

  leader_snapshot leader;
  bool leader_silent = false; // snapshot requests are never answered
  int leader_snapshots = 0;
  // The last unanswered one: a dump_atom to the leader connection answers it
  // (late) with `leader`.
  std::optional<caf::typed_response_promise<leader_snapshot>> held_leader;
  leader_connection_actor leader_conn;
  std::vector<leader_target> targets;

  std::vector<copy_order> orders;
  std::vector<create_order> creates;
  slot_copier_actor copier; // the last one spawned
  int copier_cancels = 0;

  std::vector<advance_targets> advances; // database app
  bool apply_advances = false; // an advance moves the local copy at once
  int cleans = 0;
  std::vector<final_advance_request> finals;
  bool hold_finals = false;
  std::optional<caf::typed_response_promise<final_advance_result>> held_final;
  final_advance_result release_with; // what a dump_atom to the worker answers the held final advance with
  advance_worker_actor worker;

  std::vector<std::string> dropped() const {
    std::vector<std::string> out;
    for (auto& a : actions)
      for (auto& d : a.drops)
        out.push_back(d.name);
    return out;
  }
};

local_connection_actor::behavior_type fake_local(local_connection_actor::pointer self, world* w) {
  return {
      [=](snapshot_atom) -> caf::result<local_snapshot> {
        ++w->local_snapshots;
        if (w->local_silent)
          return self->make_response_promise<local_snapshot>(); // dropped: never answered
        auto s = w->local;
        s.as_of = wall_clock::now();
        return s;
      },
      [=](local_actions& a) -> local_actions_result {
        w->actions.push_back(a);
        local_actions_result r;
        for (auto& d : a.drops)
          r.outcomes.push_back({d.name, slot_action::drop});
        for (auto& c : a.physical_creates)
          r.outcomes.push_back({c, slot_action::create_physical});
        for (auto& p : a.physical_advances)
          r.outcomes.push_back({p.name, slot_action::advance_physical});
        return r;
      },
      [=](facts_atom) -> local_facts { return {true, "", {}}; },
      [=](snapshot_atom, details_atom) -> caf::result<local_snapshot> {
        ++w->local_snapshots;
        ++w->details_reads;
        if (w->local_silent)
          return self->make_response_promise<local_snapshot>(); // dropped: never answered
        auto s = w->local;
        s.as_of = wall_clock::now();
        s.details = slot_details_reply{true, "", {}};
        return s;
      },
      [=](dump_atom) -> dump_reply { return {"local_connection", nlohmann::json::object()}; },
  };
}

leader_connection_actor::behavior_type fake_leader(leader_connection_actor::pointer self, world* w) {
  return {
      [=](leader_target& t) { w->targets.push_back(t); },
      [=](standby_snapshot_atom) {},
      [=](snapshot_atom) -> caf::result<leader_snapshot> {
        ++w->leader_snapshots;
        if (w->leader_silent) {
          auto rp = self->make_response_promise<leader_snapshot>(); // not answered: the loop's timeout
          w->held_leader = rp;
          return rp;
        }
        auto s = w->leader;
        s.as_of = wall_clock::now();
        return s;
      },
      [=](fetch_slot_files&) -> fetched_slot_files { return {false, "not in this test", {}, {}}; },
      [=](dump_atom) -> dump_reply {
        if (w->held_leader && w->held_leader->pending()) {
          auto s = w->leader;
          s.as_of = wall_clock::now();
          w->held_leader->deliver(s);
        }
        return {"leader_connection", nlohmann::json::object()};
      },
  };
}

slot_copier_actor::behavior_type fake_copier(slot_copier_actor::pointer, world* w) {
  return {
      [=](copy_order& o) { w->orders.push_back(o); },
      [=](create_order& o) { w->creates.push_back(o); },
      [=](cancel_atom) { ++w->copier_cancels; },
      [=](stop_atom) -> bool { return true; },
      [=](dump_atom) -> dump_reply { return {"slot_copier", nlohmann::json::object()}; },
  };
}

advance_worker_actor::behavior_type fake_worker(advance_worker_actor::pointer self, world* w) {
  return {
      [=](advance_targets& t) {
        w->advances.push_back(t);
        if (w->apply_advances)
          for (auto& [name, to] : t.targets)
            if (auto it = w->local.slots.find(name); it != w->local.slots.end())
              it->second.confirmed_flush_lsn = to;
      },
      [=](clean_atom) { ++w->cleans; },
      [=](create_logical_request& r) -> action_outcome {
        return {r.slot.name, slot_action::create_logical};
      },
      [=](final_advance_request& r) -> caf::result<final_advance_result> {
        w->finals.push_back(r);
        if (w->hold_finals) {
          auto rp = self->make_response_promise<final_advance_result>();
          w->held_final = rp;
          return rp;
        }
        return final_advance_result{r.targets, {}};
      },
      // The test's trigger: a promise is delivered from its own actor.
      [=](dump_atom) -> dump_reply {
        if (w->held_final && w->held_final->pending())
          w->held_final->deliver(w->release_with);
        return {"advance_worker", nlohmann::json::object()};
      },
  };
}

struct ha_loop_virtual : slotd::testing_support::virtual_time_test {
  ha_loop_virtual() {
    if (!spdlog::get("ha"))
      make_loggers("warn", false);
    // node2 (this agent) replicates from node1, which holds the slot cdc.
    w.local.reachable = true;
    w.local.in_recovery = true;
    w.local.server_version = 150004;
    w.local.replay_lsn = at(0x300);
    w.local.receive_lsn = at(0x300);
    w.local.hot_standby_feedback = true;
    w.local.wal_receiver = "streaming";
    w.local.started_at = "2026-12-01 00:00:00+00";
    w.local.slots["cdc"] = logical_slot("cdc", 0x100);
    w.leader.reachable = true;
    w.leader.leader = "node1";
    w.leader.current_lsn = at(0x400);
    w.leader.slots["cdc"] = logical_slot("cdc", 0x200);
    model::local_slot phys;
    phys.name = "node2";
    phys.restart_lsn = at(0x300);
    phys.active = true;
    w.leader.slots["node2"] = phys;
  }

  ~ha_loop_virtual() override {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sched.run();
  }

  ha_settings settings() {
    ha_settings s;
    auto& c = s.cfg;
    c.name = "node2";
    c.scope = "test";
    c.loop_wait = loop_wait;
    c.role = config::start_role::wait;
    c.postgresql.copy_settle = 0ms;
    if (copy_method)
      c.postgresql.copy_method = *copy_method;
    c.postgresql.conninfo = "host=127.0.0.1 port=5433";
    for (auto [name, port] : {std::pair{"node1", 5432}, {"node2", 5433}, {"node3", 5434}}) {
      model::member m;
      m.name = name;
      m.host = "127.0.0.1";
      m.port = port;
      c.cluster.members[name] = m;
    }
    model::permanent_slot cdc;
    cdc.name = "cdc";
    cdc.type = model::slot_type::logical;
    cdc.database = "app";
    cdc.plugin = "pgoutput";
    cdc.retention = cdc_retention;
    c.cluster.slots["cdc"] = cdc;
    s.request_timeout = 15s;
    if (data_dir) {
      c.postgresql.data_dir = data_dir->string();
      // The statvfs of pg_wal, in place (the probe thread would answer in
      // real time, from another thread than the test scheduler's).
      s.spawners.probe = [](std::function<void()> job) { job(); };
    }
    s.spawners.copier = [this](caf::actor_system& sys, ha_loop_actor) {
      auto a = sys.spawn(fake_copier, &w);
      spawned.push_back(caf::actor_cast<caf::actor>(a));
      w.copier = a;
      return a;
    };
    s.spawners.worker = [this](caf::actor_system& sys, const std::string& db, ha_loop_actor) {
      EXPECT_EQ(db, "app");
      auto a = sys.spawn(fake_worker, &w);
      spawned.push_back(caf::actor_cast<caf::actor>(a));
      w.worker = a;
      return a;
    };
    return s;
  }

  // The loop, its fakes, and its first tick (role wait: nothing done).
  void start() {
    auto local = sys.spawn(fake_local, &w);
    auto leader = sys.spawn(fake_leader, &w);
    w.leader_conn = leader;
    spawned.push_back(caf::actor_cast<caf::actor>(local));
    spawned.push_back(caf::actor_cast<caf::actor>(leader));
    ha = spawn_ha_loop(sys, io, settings(), local, leader);
    spawned.push_back(caf::actor_cast<caf::actor>(ha));
    sched.run();
  }

  demote_reply demote(const std::string& leader) { return answer<demote_reply>(ha, follow_order{leader}); }

  // A 16 replica without the copy of cdc, copy_method create, told to follow node1.
  void start_replica_lacking_cdc_on_16_with_copy_method_create() {
    w.local.server_version = 160004;
    w.local.slots.erase("cdc");
    copy_method = model::copy_method_setting::create;
    start();
    demote("node1");
  }

  json status() { return api::status_json(answer<status_view>(ha, status_atom_v)); }

  // The worker answers the final advance it holds.
  void release(final_advance_result r) {
    if (!w.held_final || !w.held_final->pending())
      return;
    w.release_with = std::move(r);
    caf::anon_send(w.worker, dump_atom_v);
    sched.run();
  }

  // Virtual time passes until `count` (of requests a fake got) goes up,
  // 3 s at most: whether it did.
  bool next_request(const int& count) {
    auto before = count;
    for (int i = 0; i < 30 && count == before; ++i)
      pass(100ms);
    return count > before;
  }

  // Virtual time passes `d` in steps of 100 ms, every due message handled.
  void pass(std::chrono::milliseconds d) {
    for (auto t = 0ms; t < d; t += 100ms) {
      sched.advance_time(100ms);
      sched.run();
    }
  }

  world w;
  std::chrono::milliseconds loop_wait = 1s;
  model::retention_policy cdc_retention; // the permanent slot cdc's
  std::optional<model::copy_method_setting> copy_method; // postgresql.copy_method (default: the config's)
  std::optional<std::filesystem::path> data_dir;          // postgresql.data_dir (default: none, no probe)
  io_runtime io;
  ha_loop_actor ha;
  std::vector<caf::actor> spawned;
};

} // namespace

// The baseline the other tests build on: told to follow node1, the loop
// reads both servers and sends the copy's advance to the leader's position.
TEST_F(ha_loop_virtual, a_replica_advances_its_copy_to_the_leaders_position) {
  start();
  pass(3s);
  EXPECT_TRUE(w.actions.empty()) << "role wait: nothing done before being told";
  EXPECT_TRUE(w.advances.empty());
  EXPECT_EQ(w.leader_snapshots, 0) << "no leader known yet";
  auto r = demote("node1");
  EXPECT_EQ(r.refused, refusal::none) << r.error;
  ASSERT_FALSE(w.targets.empty());
  EXPECT_EQ(w.targets.back().name, std::optional<std::string>("node1"));
  EXPECT_GE(w.local_snapshots, 1);
  EXPECT_GE(w.leader_snapshots, 1);
  ASSERT_FALSE(w.advances.empty());
  EXPECT_EQ(w.advances.back().targets.at("cdc"), at(0x200));
  EXPECT_TRUE(w.dropped().empty());
  EXPECT_EQ(status()["role"], "replica");
}

// A copy holds the server (the copier reported it restarting): a promote is
// refused as busy, with what holds it, and nothing is advanced meanwhile.
// Once the copy ends, the next promote runs its final advance.
TEST_F(ha_loop_virtual, promote_during_a_copy_is_refused_until_the_copy_ends) {
  w.local.slots.erase("cdc"); // the replica lacks the slot: the loop orders a copy
  start();
  demote("node1");
  ASSERT_EQ(w.orders.size(), 1u) << "a copy ordered at once (copy_settle 0)";
  ASSERT_EQ(w.orders[0].slots.size(), 1u);
  EXPECT_EQ(w.orders[0].slots[0].name, "cdc");
  copy_report restarting;
  restarting.phase = copy_phase::restarting;
  restarting.slots = {"cdc"};
  caf::anon_send(ha, restarting);
  sched.run();

  std::optional<promote_reply> refused;
  ask<promote_reply>(ha, promote_request{10s}, refused);
  sched.run();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->refused, refusal::busy);
  EXPECT_NE(refused->error.find("slot copy is under way"), std::string::npos) << refused->error;
  EXPECT_EQ(status()["role"], "replica") << "a refused promote changes nothing";
  auto advances = w.advances.size();
  pass(3s);
  EXPECT_EQ(w.advances.size(), advances) << "no advance while the copy holds the server";
  EXPECT_EQ(w.orders.size(), 1u) << "one copy at a time";

  // The copy ends: the slot is there, the server runs.
  w.local.slots["cdc"] = logical_slot("cdc", 0x180);
  w.local.started_at = "2026-12-01 00:01:00+00";
  copy_report done = restarting;
  done.phase = copy_phase::idle;
  done.finished = true;
  done.stopped = true;
  done.installed = {"cdc"};
  caf::anon_send(ha, done);
  sched.run();
  std::optional<promote_reply> accepted;
  ask<promote_reply>(ha, promote_request{10s}, accepted);
  sched.run();
  ASSERT_TRUE(accepted.has_value());
  EXPECT_EQ(accepted->refused, refusal::none) << accepted->error;
  EXPECT_EQ(accepted->role, "primary");
  ASSERT_FALSE(w.finals.empty());
  EXPECT_EQ(w.finals.back().targets.at("cdc"), at(0x200)) << "the final advance aims at the leader's last sample";
  EXPECT_EQ(accepted->advanced.at("cdc"), at(0x200));
}

// While the final advance runs (the worker holds it), ticks go on: the
// loop reads the local server, but sends no advance from the old leader's
// samples, drops nothing and orders no copy; the promote answers when the
// advance does.
TEST_F(ha_loop_virtual, ticks_during_a_final_advance_neither_advance_nor_drop) {
  start();
  demote("node1");
  ASSERT_FALSE(w.advances.empty());
  w.hold_finals = true;
  std::optional<promote_reply> reply;
  ask<promote_reply>(ha, promote_request{30s}, reply);
  sched.run();
  ASSERT_EQ(w.finals.size(), 1u);
  EXPECT_EQ(w.finals[0].targets.at("cdc"), at(0x200));
  EXPECT_GE(w.cleans, 1) << "the worker's pending targets are dropped at promote";
  auto advances = w.advances.size();
  auto snapshots = w.local_snapshots;
  auto leader_reads = w.leader_snapshots;
  w.leader.slots["cdc"].confirmed_flush_lsn = at(0x280); // the old leader moves on
  pass(5s);
  EXPECT_FALSE(reply.has_value()) << "the promote waits for its final advance";
  EXPECT_GT(w.local_snapshots, snapshots) << "the loop kept ticking";
  EXPECT_EQ(w.leader_snapshots, leader_reads) << "no leader is sampled once told primary";
  EXPECT_EQ(w.advances.size(), advances) << "no advance beside the final one";
  EXPECT_TRUE(w.dropped().empty());
  EXPECT_TRUE(w.orders.empty());
  EXPECT_EQ(status()["role"], "promoting");

  ASSERT_TRUE(w.held_final && w.held_final->pending());
  release({{{"cdc", at(0x200)}}, {}});
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->refused, refusal::none) << reply->error;
  EXPECT_EQ(reply->advanced.at("cdc"), at(0x200));
}

// A final advance that never answers is given up at the promote's
// deadline plus the loop's slack: the loop answers by timeout + 2 s, told
// primary, with the copy at the position it had.
TEST_F(ha_loop_virtual, a_final_advance_that_never_answers_is_given_up_at_the_deadline) {
  start();
  demote("node1");
  w.hold_finals = true;
  std::optional<promote_reply> reply;
  auto asked_at = sys.clock().now();
  ask<promote_reply>(ha, promote_request{10s}, reply);
  sched.run();
  ASSERT_EQ(w.finals.size(), 1u);
  EXPECT_EQ(w.finals[0].deadline, asked_at + 10s) << "the worker stops at the promote's deadline";
  pass(11s);
  EXPECT_FALSE(reply.has_value()) << "the loop waits for the worker until the deadline plus its slack";
  pass(1500ms);
  ASSERT_TRUE(reply.has_value()) << "no answer by timeout + 2 s";
  EXPECT_EQ(reply->refused, refusal::none) << reply->error;
  EXPECT_EQ(reply->role, "primary");
  EXPECT_EQ(reply->advanced.at("cdc"), at(0x100)) << "not advanced: the position it had";
}

// The leader refuses connections, then stops answering at all: the copy is
// neither dropped nor advanced, the loop keeps its cycles (a silent leader
// costs one request timeout, not the loop), /status says why, and the copy
// follows the leader again once it answers.
TEST_F(ha_loop_virtual, leader_loss_keeps_the_copy_and_the_loop) {
  start();
  demote("node1");
  ASSERT_EQ(w.advances.back().targets.at("cdc"), at(0x200));
  auto advances = w.advances.size();

  w.leader = {};
  w.leader.error = "connection refused";
  pass(3s);
  EXPECT_EQ(w.advances.size(), advances);
  EXPECT_TRUE(w.dropped().empty()) << "a lost leader is no reason to drop a copy";
  auto alerts = status()["alerts"].dump();
  EXPECT_NE(alerts.find("leader unreachable"), std::string::npos) << alerts;

  w.leader_silent = true;
  auto snapshots = w.local_snapshots;
  pass(40s); // more than two request timeouts
  EXPECT_GT(w.local_snapshots, snapshots + 2) << "the loop went on while the leader was silent";
  EXPECT_EQ(w.advances.size(), advances);
  EXPECT_TRUE(w.dropped().empty());
  EXPECT_TRUE(w.orders.empty()) << "no copy from a leader that does not answer";

  w.leader_silent = false;
  w.leader.reachable = true;
  w.leader.error.clear();
  w.leader.leader = "node1";
  w.leader.current_lsn = at(0x500);
  w.leader.slots["cdc"] = logical_slot("cdc", 0x250);
  pass(20s);
  ASSERT_GT(w.advances.size(), advances) << "the copy follows the leader again";
  EXPECT_EQ(w.advances.back().targets.at("cdc"), at(0x250));
  alerts = status()["alerts"].dump();
  EXPECT_EQ(alerts.find("leader unreachable"), std::string::npos) << alerts;
}

// The cycle's requests put no timeout on CAF's clock (each would wake its
// thread, and later the loop, for nothing on an idle agent): while the loop
// waits on a silent leader, the clock holds its watchdog (and at most one
// stale tick), never a request timeout.
TEST_F(ha_loop_virtual, the_cycles_requests_put_no_timeout_on_cafs_clock) {
  start();
  demote("node1");
  pass(3s); // full cycles, every request answered
  w.leader_silent = true;
  pass(3s); // a leader request outstanding
  ASSERT_TRUE(w.held_leader && w.held_leader->pending());
  std::size_t request_timeouts = 0, others = 0;
  for (auto& [due, e] : sched.clock().schedule())
    ++(e->subtype == caf::detail::simple_actor_clock::request_timeout_type ? request_timeouts : others);
  EXPECT_EQ(request_timeouts, 0u);
  EXPECT_GE(others, 1u) << "the watchdog of the outstanding request";
  EXPECT_LE(others, 2u) << "the watchdog, and at most a tick";
}

// The free space of pg_wal is read after the first full cycle, then at most
// every wal_free_probe_interval, not after every cycle: each read wakes the
// probe thread and then the loop, which was a good part of an idle agent's
// cost.
TEST_F(ha_loop_virtual, pg_wal_free_space_is_read_at_most_every_probe_interval) {
  auto dir = std::filesystem::temp_directory_path() / ("ha_loop_wal_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "pg_wal");
  struct cleanup {
    std::filesystem::path p;
    ~cleanup() { std::filesystem::remove_all(p); }
  } rm{dir};
  data_dir = dir;
  start();
  demote("node1");
  pass(1s);
  auto wal = answer<dump_reply>(ha, dump_atom_v).state["wal_space"];
  EXPECT_EQ(wal["probes"], 1) << wal.dump();
  EXPECT_FALSE(wal["outstanding"].get<bool>()) << wal.dump();
  EXPECT_TRUE(wal["free_bytes"].is_number()) << wal.dump();
  const auto cycles_before = answer<dump_reply>(ha, dump_atom_v).state["cycles"].get<std::uint64_t>();
  pass(25s); // 25 full cycles at loop_wait 1 s
  auto dump = answer<dump_reply>(ha, dump_atom_v).state;
  EXPECT_GE(dump["cycles"].get<std::uint64_t>() - cycles_before, 20u) << "the loop kept cycling";
  EXPECT_GE(dump["wal_space"]["probes"], 3) << dump["wal_space"].dump();
  EXPECT_LE(dump["wal_space"]["probes"], 4) << dump["wal_space"].dump();
  EXPECT_EQ(status()["alerts"].dump().find("pg_wal"), std::string::npos) << status()["alerts"].dump();
}

// A request of the cycle with no answer is given up after request_timeout,
// not before, and the loop goes on; its answer, when it comes after that,
// is dropped (it would move the copy otherwise).
TEST_F(ha_loop_virtual, an_unanswered_request_is_given_up_after_the_request_timeout_and_its_late_answer_dropped) {
  start();
  demote("node1");
  ASSERT_EQ(w.advances.back().targets.at("cdc"), at(0x200));
  auto advances = w.advances.size();
  w.leader_silent = true;
  // The first leader request from now on: the loop waits on it.
  ASSERT_TRUE(next_request(w.leader_snapshots));
  ASSERT_TRUE(w.held_leader && w.held_leader->pending());
  auto first = *w.held_leader;
  auto locals = w.local_snapshots;
  pass(14500ms);
  EXPECT_EQ(w.local_snapshots, locals) << "the loop waited on the request, no tick in between";
  EXPECT_EQ(answer<dump_reply>(ha, dump_atom_v).state["requests_given_up"], 0);
  pass(1s);
  EXPECT_EQ(answer<dump_reply>(ha, dump_atom_v).state["requests_given_up"], 1);
  auto alerts = status()["alerts"].dump();
  EXPECT_NE(alerts.find("no answer from the leader connection"), std::string::npos) << alerts;
  pass(2s);
  EXPECT_GT(w.local_snapshots, locals) << "the loop went on";

  // The answer to the request given up comes now, with the leader's slot
  // moved on: it is dropped (no request the loop waits on answers it).
  w.leader.reachable = true;
  w.leader.slots["cdc"] = logical_slot("cdc", 0x280);
  w.held_leader = first;
  caf::anon_send(w.leader_conn, dump_atom_v);
  sched.run();
  EXPECT_FALSE(w.held_leader->pending()) << "the late answer went";
  pass(1s);
  EXPECT_EQ(w.advances.size(), advances) << "a late answer moved the copy";
}

// A local snapshot with no answer is given up the same way: the loop says
// the local server did not answer, drops and advances nothing, and reads
// it again at the next tick.
TEST_F(ha_loop_virtual, an_unanswered_local_snapshot_is_given_up_and_read_again) {
  start();
  demote("node1");
  auto advances = w.advances.size();
  auto actions = w.actions.size();
  w.local_silent = true;
  ASSERT_TRUE(next_request(w.local_snapshots));
  auto asked = w.local_snapshots;
  pass(14500ms);
  EXPECT_EQ(w.local_snapshots, asked) << "waiting on the request";
  pass(2s);
  EXPECT_EQ(answer<dump_reply>(ha, dump_atom_v).state["requests_given_up"], 1);
  EXPECT_GT(w.local_snapshots, asked) << "read again after the give-up";
  auto alerts = status()["alerts"].dump();
  EXPECT_NE(alerts.find("no answer from the local connection"), std::string::npos) << alerts;
  EXPECT_EQ(w.advances.size(), advances);
  EXPECT_EQ(w.actions.size(), actions);
  w.local_silent = false;
  pass(20s); // the outstanding one given up, then answered again
  EXPECT_EQ(answer<dump_reply>(ha, dump_atom_v).state["waiting_ms"], -1) << "no request outstanding between ticks";
  alerts = status()["alerts"].dump();
  EXPECT_EQ(alerts.find("no answer from the local connection"), std::string::npos) << alerts;
}

// A demote that comes while a promote waits for its final advance wins:
// the node follows the new leader, and the promote answers busy once its
// advance returns, without claiming the primary role.
TEST_F(ha_loop_virtual, demote_racing_a_promote_wins_and_the_promote_answers_busy) {
  start();
  demote("node1");
  w.hold_finals = true;
  std::optional<promote_reply> promoted;
  ask<promote_reply>(ha, promote_request{30s}, promoted);
  sched.run();
  ASSERT_EQ(w.finals.size(), 1u);

  auto r = demote("node3");
  EXPECT_EQ(r.refused, refusal::none) << r.error;
  EXPECT_EQ(r.leader, "node3");
  ASSERT_FALSE(w.targets.empty());
  EXPECT_EQ(w.targets.back().name, std::optional<std::string>("node3"));

  ASSERT_TRUE(w.held_final && w.held_final->pending());
  release({{{"cdc", at(0x200)}}, {}});
  ASSERT_TRUE(promoted.has_value());
  EXPECT_EQ(promoted->refused, refusal::busy);
  EXPECT_NE(promoted->error.find("overtaken"), std::string::npos) << promoted->error;
  auto s = status();
  EXPECT_EQ(s["role"], "replica");
  EXPECT_EQ(s["leader"], "node3");
}

// What /status, /readiness and /metrics show (actors/ha_report.cpp,
// ha_metrics.cpp) for a replica whose copy is behind its leader.
TEST_F(ha_loop_virtual, status_readiness_and_metrics_show_the_copy_behind_its_leader) {
  start();
  auto before = answer<readiness_view>(ha, ready_atom_v);
  EXPECT_FALSE(before.ready) << "not told anything yet: " << api::readiness_json(before).dump();
  EXPECT_EQ(before.role, "waiting");

  demote("node1");
  auto s = status();
  EXPECT_EQ(s["name"], "node2");
  EXPECT_EQ(s["role"], "replica");
  EXPECT_EQ(s["leader"], "node1");
  EXPECT_EQ(s["optime"], at(0x300).str()) << "a replica's optime is its replay position";
  ASSERT_TRUE(s["slots"].contains("cdc")) << s.dump(2);
  auto& cdc = s["slots"]["cdc"];
  EXPECT_EQ(cdc["type"], "logical");
  EXPECT_EQ(cdc["lsn"], at(0x100).str());
  EXPECT_EQ(cdc["behind_leader"]["bytes"], 0x100) << cdc.dump(2);

  auto metrics = api::metrics_text(answer<metrics_view>(ha, metrics_atom_v));
  EXPECT_NE(metrics.find("slotd_copy_behind_bytes"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("slot=\"cdc\""), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\n" R"(slotd_role{)"), std::string::npos) << metrics;
}

// /readiness follows the proof of the copy: not ready while the primary's
// physical slot for this node holds no catalog_xmin (hot_standby_feedback
// has not reached it), ready once it holds one that covers the copy.
TEST_F(ha_loop_virtual, readiness_waits_for_the_catalog_xmin_that_proves_the_copy) {
  start();
  demote("node1");
  auto readiness = [&] {
    auto r = answer<readiness_view>(ha, ready_atom_v);
    return std::pair{r.ready, api::readiness_json(r)};
  };
  auto [ready, body] = readiness();
  EXPECT_FALSE(ready) << body.dump(2);
  EXPECT_EQ(body["unready"], json::array({"cdc"})) << body.dump(2);
  EXPECT_TRUE(body["pending"].contains("cdc")) << body.dump(2);

  w.leader.slots["node2"].catalog_xmin = pg::xid(700);
  pass(3s);
  std::tie(ready, body) = readiness();
  EXPECT_TRUE(ready) << body.dump(2);
  EXPECT_EQ(body["unready"], json::array()) << body.dump(2);
  EXPECT_EQ(status()["slots"]["cdc"]["ready"], true);
}

// The server down after a copy: /health is not ok and says why, /status
// alerts; both clear when the copier reports the server running again.
TEST_F(ha_loop_virtual, health_and_alerts_while_the_server_is_down_after_a_copy) {
  start();
  demote("node1");
  auto health = [&] {
    auto r = answer<health_view>(ha, health_atom_v);
    return std::pair{r.ok, api::health_json(r)};
  };
  auto [ok, body] = health();
  EXPECT_TRUE(ok) << body.dump(2);

  copy_report down;
  down.phase = copy_phase::server_down;
  down.slots = {"cdc"};
  down.error = "start command exited 1";
  down.start_attempts = 3;
  caf::anon_send(ha, down);
  sched.run();
  std::tie(ok, body) = health();
  EXPECT_FALSE(ok);
  EXPECT_NE(body.value("detail", "").find("down after a slot copy"), std::string::npos) << body.dump(2);
  EXPECT_NE(body.value("detail", "").find("start command exited 1"), std::string::npos) << body.dump(2);
  auto alerts = status()["alerts"].dump();
  EXPECT_NE(alerts.find("the local server is down after a slot copy"), std::string::npos) << alerts;

  copy_report back;
  back.phase = copy_phase::idle;
  caf::anon_send(ha, back);
  sched.run();
  std::tie(ok, body) = health();
  EXPECT_TRUE(ok) << body.dump(2);
  alerts = status()["alerts"].dump();
  EXPECT_EQ(alerts.find("down after a slot copy"), std::string::npos) << alerts;
}

// GET /candidate (typed): a replica whose copy is not proven yet would lose
// changes, and says which slot and why; once proven it loses nothing. The
// members' addresses come with it (slotctl candidates asks them all).
TEST_F(ha_loop_virtual, candidate_says_what_a_promotion_would_lose) {
  start();
  demote("node1");
  auto c = answer<candidate_view>(ha, candidate_atom_v);
  EXPECT_EQ(c.name, "node2");
  EXPECT_EQ(c.leader, "node1");
  EXPECT_FALSE(c.verdict.loses_nothing);
  ASSERT_EQ(c.verdict.slots.size(), 1u);
  EXPECT_EQ(c.verdict.slots[0].name, "cdc");
  EXPECT_FALSE(c.verdict.slots[0].ready);
  EXPECT_FALSE(c.verdict.reasons.empty());
  ASSERT_TRUE(c.verdict.slots[0].behind.has_value());
  EXPECT_EQ(c.verdict.slots[0].behind->bytes, 0x100u) << "the leader's cdc is at 0x200, the copy at 0x100";
  EXPECT_EQ(c.replay_lsn, at(0x300));
  ASSERT_TRUE(c.sample.has_value());
  EXPECT_EQ(c.sample->leader, "node1");
  EXPECT_EQ(c.members.size(), 3u);

  w.leader.slots["node2"].catalog_xmin = pg::xid(700);
  pass(3s);
  c = answer<candidate_view>(ha, candidate_atom_v);
  EXPECT_TRUE(c.verdict.loses_nothing) << ::testing::PrintToString(c.verdict.reasons);
  EXPECT_TRUE(c.verdict.slots[0].ready);
}

// The WAL-retention guard in /status: a permanent slot that keeps more WAL
// than its warn level is flagged, with an alert naming the slot; below the
// level, neither.
TEST_F(ha_loop_virtual, status_flags_a_slot_past_its_retention_level) {
  cdc_retention.warn = 0x180; // the copy keeps 0x300 - 0x100 = 0x200 bytes
  start();
  demote("node1");
  auto v = answer<status_view>(ha, status_atom_v);
  ASSERT_EQ(v.wal_guard.verdict.slots.size(), 1u);
  EXPECT_EQ(v.wal_guard.verdict.slots[0].name, "cdc");
  EXPECT_EQ(v.wal_guard.verdict.slots[0].kept, 0x200u);
  EXPECT_EQ(v.wal_guard.verdict.slots[0].level, model::retention_level::warn);
  auto flagged = std::find_if(v.alerts.begin(), v.alerts.end(), [](auto& a) { return a.slot == "cdc"; });
  ASSERT_NE(flagged, v.alerts.end()) << api::status_json(v)["alerts"].dump();
  EXPECT_NE(flagged->text.find("retention warn"), std::string::npos) << flagged->text;

  // The copy moves on: it keeps less than the level.
  w.local.slots["cdc"] = logical_slot("cdc", 0x200);
  pass(3s);
  v = answer<status_view>(ha, status_atom_v);
  ASSERT_EQ(v.wal_guard.verdict.slots.size(), 1u);
  EXPECT_EQ(v.wal_guard.verdict.slots[0].level, model::retention_level::ok);
  EXPECT_TRUE(std::none_of(v.alerts.begin(), v.alerts.end(), [](auto& a) { return a.slot == "cdc"; }))
      << api::status_json(v)["alerts"].dump();
}

// docs/slot-rules.md §1.6 in the loop: a proven copy stays ready while
// nothing calls for a re-check, even when the proof is gone from the leader
// (the queue is not re-run for nothing); a resume, and a demote to the same
// leader, put it back in the queue, where it waits for a proof again.
TEST_F(ha_loop_virtual, a_resume_and_a_demote_re_check_every_proven_copy) {
  start();
  demote("node1");
  auto ready = [&] { return answer<readiness_view>(ha, ready_atom_v).ready; };
  w.leader.slots["node2"].catalog_xmin = pg::xid(700);
  pass(3s);
  ASSERT_TRUE(ready());

  w.leader.slots["node2"].catalog_xmin.reset(); // the proof is gone on the leader
  pass(3s);
  EXPECT_TRUE(ready()) << "no re-check due: the copy stays proven";

  answer<status_view>(ha, pause_request{true});
  answer<status_view>(ha, pause_request{false});
  pass(3s);
  EXPECT_FALSE(ready()) << "a resume re-checks every copy";
  EXPECT_TRUE(answer<readiness_view>(ha, ready_atom_v).pending.contains("cdc"));

  w.leader.slots["node2"].catalog_xmin = pg::xid(700);
  pass(3s);
  ASSERT_TRUE(ready());
  w.leader.slots["node2"].catalog_xmin.reset();
  demote("node1"); // the same leader
  pass(3s);
  EXPECT_FALSE(ready()) << "a demote re-checks every copy, even to the same leader";
}

// copy_method create (16): the loop orders the missing copy from the slot
// copier as a creation by the advance worker of its database, once while it
// is under way, and never as a file copy (no restart). The copier's answer
// decides: a failure is a copy error and the copy is ordered again after the
// retry pause; a created copy joins the readiness queue, unready until
// proven, and the copier's totals are the metrics'.
TEST_F(ha_loop_virtual, a_copy_by_creation_is_ordered_from_the_copier_and_waits_to_be_proven) {
  start_replica_lacking_cdc_on_16_with_copy_method_create();
  ASSERT_EQ(w.creates.size(), 1u) << "a creation ordered at once";
  ASSERT_EQ(w.creates[0].slots.size(), 1u);
  const auto& c = w.creates[0].slots[0];
  EXPECT_EQ(c.slot.name, "cdc");
  EXPECT_EQ(c.slot.database, "app");
  EXPECT_EQ(c.slot.plugin, "pgoutput");
  EXPECT_FALSE(c.replace);
  EXPECT_EQ(c.worker, w.worker) << "created by the advance worker of its database";
  EXPECT_TRUE(w.orders.empty()) << "no file copy: no restart";
  pass(3s);
  EXPECT_EQ(w.creates.size(), 1u) << "not ordered again while it is under way";

  copier_counts counts;
  counts.failures = 1;
  caf::anon_send(ha, copy_created{"cdc", "app", false, slot_failure{own_reason::no_answer, "request_timeout"},
                                  70s, counts});
  sched.run();
  auto metrics = api::metrics_text(answer<metrics_view>(ha, metrics_atom_v));
  EXPECT_EQ(sample(metrics, "slotd_errors_total", {"kind", "copy"}), 1.0) << metrics;
  pass(500ms);
  EXPECT_EQ(w.creates.size(), 1u) << "the retry pause after a failed copy";
  pass(3s);
  ASSERT_EQ(w.creates.size(), 2u) << "ordered again after the pause";

  w.local.slots["cdc"] = logical_slot("cdc", 0x300); // created where the replica is: past the leader's 0x200
  counts.copies = counts.created = 1;
  caf::anon_send(ha, copy_created{"cdc", "app", false, std::nullopt, 120ms, counts});
  sched.run();
  pass(2s);
  auto r = answer<readiness_view>(ha, ready_atom_v);
  auto body = api::readiness_json(r);
  EXPECT_FALSE(r.ready) << body.dump(2);
  EXPECT_EQ(body["unready"], json::array({"cdc"})) << body.dump(2);
  metrics = api::metrics_text(answer<metrics_view>(ha, metrics_atom_v));
  EXPECT_EQ(sample(metrics, "slotd_slot_copies_total"), 1.0) << metrics;
  EXPECT_EQ(w.creates.size(), 2u) << "the copy is there: not ordered again" << (w.creates.size() > 2 ? (w.creates.back().slots.at(0).replace ? " (replace)" : " (new)") : "");
  EXPECT_TRUE(w.orders.empty());
}

// A copier that ends while a copy is being created: the creation runs on in
// its worker, unanswered, so the loop waits out its budget (no file copy
// meanwhile), then orders it again from the new copier; the ended copier's
// totals stay in the metrics (a new copier counts from zero).
TEST_F(ha_loop_virtual, a_creation_lost_with_its_copier_is_ordered_again) {
  start_replica_lacking_cdc_on_16_with_copy_method_create();
  ASSERT_EQ(w.creates.size(), 1u);
  copy_report idle;
  idle.counts.copies = 3;
  idle.counts.restarts = 2;
  caf::anon_send(ha, idle);
  sched.run();
  auto first = w.copier;
  caf::anon_send_exit(first, caf::exit_reason::kill);
  sched.run();
  ASSERT_NE(w.copier, first) << "a new copier";
  pass(60s);
  EXPECT_EQ(w.creates.size(), 1u) << "ordered again while its creation may still run";
  EXPECT_TRUE(w.orders.empty()) << "no file copy while a creation may run";
  pass(20s);
  ASSERT_EQ(w.creates.size(), 2u) << "the creation ordered again after its budget";
  EXPECT_EQ(w.creates[1].slots.at(0).slot.name, "cdc");
  auto metrics = api::metrics_text(answer<metrics_view>(ha, metrics_atom_v));
  EXPECT_EQ(sample(metrics, "slotd_slot_copies_total"), 3.0) << metrics;
  EXPECT_EQ(sample(metrics, "slotd_server_restarts_total"), 2.0) << metrics;
}

// docs/slot-rules.md §1.2, the pace of the leader samples between full
// cycles (loop_wait 10 s here). A consumer on the leader confirms every
// second: every move is sampled, and the copy advanced, within one fast
// interval (200 ms; a pace that doubled between moves would find the next
// one several hundred ms late). Once the leader is still, the samples back off to
// one every 5 s.
TEST_F(ha_loop_virtual, the_leader_is_sampled_fast_while_its_slots_move_and_backs_off_when_still) {
  loop_wait = 10s;
  w.apply_advances = true;
  w.local.slots["cdc"] = logical_slot("cdc", 0x200); // caught up with the leader
  w.leader.slots["node2"].catalog_xmin = pg::xid(700); // and proven at once
  start();
  demote("node1");
  pass(20s); // the copy proven at once (above), the pace backed off
  auto still_from = w.leader_snapshots;
  auto details_from = w.details_reads;
  pass(20s);
  auto still = w.leader_snapshots - still_from;
  EXPECT_LE(still, 7) << "still leader: a sample every 5 s and two full cycles";
  EXPECT_GE(still, 4);
  EXPECT_LE(w.details_reads - details_from, 2) << "the operator figures come with full cycles only";
  EXPECT_GE(w.details_reads - details_from, 1) << "and every full cycle reads them";

  // The first move is found by a backed-off sample (within 5 s); the
  // consumer's cadence counts from then.
  std::uint64_t pos = 0x210;
  w.leader.slots["cdc"].confirmed_flush_lsn = at(pos);
  w.leader.slots["cdc"].restart_lsn = at(pos);
  for (int waited = 0; waited < 60 && (w.advances.empty() || w.advances.back().targets.at("cdc") != at(pos)); ++waited)
    pass(100ms);
  ASSERT_FALSE(w.advances.empty());
  ASSERT_EQ(w.advances.back().targets.at("cdc"), at(pos)) << "the first move was not found within 6 s";
  for (int i = 1; i < 10; ++i) {
    pass(700ms);
    pos += 0x10;
    w.leader.slots["cdc"].confirmed_flush_lsn = at(pos);
    w.leader.slots["cdc"].restart_lsn = at(pos);
    pass(300ms);
    EXPECT_EQ(w.advances.back().targets.at("cdc"), at(pos)) << "move " << i << " not advanced within 300 ms";
  }

  pass(10s); // still again: the hold, then the doubling
  still_from = w.leader_snapshots;
  pass(20s);
  still = w.leader_snapshots - still_from;
  EXPECT_LE(still, 7) << "backed off again once the leader is still";
}

// A creation ordered as a replica that ends after a promote: on the new
// primary the slot is no copy of the old leader's (the promote reply named
// it unsafe), so it is neither counted as a copy, nor waits to be proven,
// nor, failed, counted as a copy error.
TEST_F(ha_loop_virtual, a_creation_answered_after_a_promote_is_no_copy) {
  start_replica_lacking_cdc_on_16_with_copy_method_create();
  ASSERT_EQ(w.creates.size(), 1u);
  std::optional<promote_reply> promoted;
  ask<promote_reply>(ha, promote_request{10s}, promoted);
  sched.run();
  ASSERT_TRUE(promoted.has_value());
  EXPECT_EQ(promoted->refused, refusal::none) << promoted->error;
  EXPECT_TRUE(std::find(promoted->ready.begin(), promoted->ready.end(), "cdc") == promoted->ready.end())
      << "the copy being created is not ready";
  w.local.in_recovery = false;
  w.local.slots["cdc"] = logical_slot("cdc", 0x300);
  caf::anon_send(ha, copy_created{"cdc", "app", false, slot_failure{own_reason::no_answer, "request_timeout"}, 70s,
                                  copier_counts{}});
  sched.run();
  caf::anon_send(ha, copy_created{"cdc", "app", false, std::nullopt, 120ms, copier_counts{}});
  sched.run();
  pass(2s);
  auto metrics = api::metrics_text(answer<metrics_view>(ha, metrics_atom_v));
  EXPECT_FALSE(sample(metrics, "slotd_errors_total", {"kind", "copy"}).value_or(0) > 0) << metrics;
  auto dump = answer<dump_reply>(ha, dump_atom_v).state;
  EXPECT_EQ(dump["last_copy"], "") << dump.dump(2);
  EXPECT_EQ(dump["readiness_queue"].dump().find("cdc"), std::string::npos) << dump["readiness_queue"].dump(2);
  EXPECT_EQ(dump["copy_failures_in_row"], 0);
  EXPECT_EQ(status()["role"], "primary");
}
