// advance_worker: one per database. Runs pg_replication_slot_advance for
// the logical slots of its database on a replica, on its own connection
// with no statement timeout (docs/slot-rules.md §2.2: a slow advance
// occupies only its worker, never the HA loop). Targets are coalesced (latest
// wins); a generation counter makes results of cleaned work harmless
// (docs/slot-rules.md Q4); a lost connection backs off instead of retrying in
// a tight loop.
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/json_text.hpp"
#include "actors/io_bridge.hpp"
#include "actors/spawn.hpp"
#include "actors/sql_lane.hpp"
#include "pg/client/reconnect.hpp"
#include "pg/model/slot_plan.hpp"
#include "pg/queries/slots.hpp"

namespace slotd::actors {

namespace {

using namespace std::chrono_literals;
namespace q = pg::queries;

// No statement timeout on this connection; our own deadline only guards
// against a server that never answers.
constexpr auto advance_budget = std::chrono::minutes(30);
constexpr auto drop_budget = std::chrono::seconds(30);

struct last_result {
  pg::lsn target;
  std::optional<pg::lsn> reached;
  bool ok = false;
  std::string error;
  wall_clock::time_point at;
};

struct worker_state {
  worker_state() = default;
  std::string database;
  ha_loop_actor ha;
  std::unique_ptr<sql_lane> lane;
  std::map<std::string, pg::lsn> scheduled;
  std::optional<std::string> in_flight;
  std::string last_slot; // round robin over the scheduled slots
  std::uint64_t generation = 0;
  pg::backoff retry_backoff{pg::backoff_options{std::chrono::milliseconds(500), std::chrono::milliseconds(30000), 2.0, 0.2}};
  bool waiting_retry = false;
  std::map<std::string, last_result> results;
  std::uint64_t advances = 0;
  std::uint64_t failures = 0;
  std::uint64_t creates = 0;
};

using self_ptr = advance_worker_private::stateful_pointer<worker_state>;

struct advance_outcome {
  bool connected = false;
  bool ok = false;
  std::optional<pg::lsn> reached;
  pg::error err;
};

boost::asio::awaitable<advance_outcome> advance_one(pg::connection& conn, const pg::result<void>& connected,
                                                   std::string slot, pg::lsn target, pg::deadline until) {
  advance_outcome o;
  if (!connected) {
    o.err = connected.error();
    co_return o;
  }
  o.connected = true;
  auto p = q::advance_params(slot, target);
  auto r = co_await conn.exec(q::advance_slot_sql(), p, until);
  if (!r) {
    o.err = r.error();
    o.connected = !pg::is_connection_failure(r.error());
    co_return o;
  }
  auto reached = q::parse_advance(*r);
  o.ok = reached.ok();
  if (reached)
    o.reached = *reached;
  else
    o.err = reached.error();
  co_return o;
}

void pump(self_ptr self);

void on_advanced(self_ptr self, std::uint64_t gen, const std::string& slot, pg::lsn target, advance_outcome o) {
  auto& st = self->state;
  st.in_flight.reset();
  if (gen != st.generation) {
    pump(self); // cleaned meanwhile: the result belongs to dropped work
    return;
  }
  if (!o.connected) {
    // Keep the target; try again after a backoff (docs/slot-rules.md Q4).
    st.waiting_retry = true;
    auto delay = st.retry_backoff.next_delay();
    spdlog::get("slots")->warn("advance worker {}: cannot reach the database ({}); retrying in {} ms", st.database,
                               o.err.what(), delay.count());
    self->delayed_send(self, delay, retry_atom_v, st.generation);
    return;
  }
  st.retry_backoff.reset();
  auto it = st.scheduled.find(slot);
  if (it != st.scheduled.end() && it->second == target)
    st.scheduled.erase(it); // a newer target stays scheduled
  last_result lr{target, o.reached, o.ok, o.ok ? "" : o.err.what(), wall_clock::now()};
  st.results[slot] = lr;
  advance_report rep;
  rep.database = st.database;
  rep.slot = slot;
  rep.target = target;
  rep.reached = o.reached;
  if (!o.ok)
    rep.error = o.err;
  if (o.ok) {
    ++st.advances;
  } else {
    ++st.failures;
    // The slot's own problem: the HA loop decides (re-copy or retry).
    st.scheduled.erase(slot);
  }
  self->send(st.ha, std::move(rep));
  pump(self);
}

void pump(self_ptr self) {
  auto& st = self->state;
  if (st.in_flight || st.waiting_retry || st.scheduled.empty())
    return;
  auto it = st.scheduled.upper_bound(st.last_slot);
  if (it == st.scheduled.end())
    it = st.scheduled.begin();
  std::string slot = it->first;
  pg::lsn target = it->second;
  st.in_flight = slot;
  st.last_slot = slot;
  auto gen = st.generation;
  st.lane->submit(self, [self, gen, slot, target](pg::connection& conn, const pg::result<void>& connected)
                  -> boost::asio::awaitable<sql_lane::continuation> {
    auto o = co_await advance_one(conn, connected, slot, target, pg::clock::now() + advance_budget);
    co_return [self, gen, slot, target, o]() { on_advanced(self, gen, slot, target, o); };
  });
}

advance_worker_private::behavior_type advance_worker(self_ptr self, io_runtime* io, pg::connection_options opts,
                                                     std::string database, ha_loop_actor ha) {
  auto& st = self->state;
  st.database = database;
  st.ha = ha;
  opts.dbname = database;
  opts.statement_timeout = std::chrono::milliseconds(0);
  opts.name = "advance " + database;
  st.lane = std::make_unique<sql_lane>(*io, std::move(opts));
  // The worker lives as long as its HA loop (which monitors it in turn).
  self->monitor(ha);
  self->set_down_handler([self](caf::down_msg& m) { self->quit(m.reason); });
  return {
      [=](io_done& d) { d.run(); },
      [=](advance_targets& t) {
        for (auto& [slot, lsn] : t.targets)
          self->state.scheduled[slot] = lsn; // latest target wins
        pump(self);
      },
      [=](retry_atom, std::uint64_t gen) {
        if (gen != self->state.generation)
          return;
        self->state.waiting_retry = false;
        pump(self);
      },
      [=](clean_atom) {
        auto& s = self->state;
        s.scheduled.clear();
        s.waiting_retry = false;
        ++s.generation;
      },
      [=](create_logical_request& req) -> caf::result<action_outcome> {
        auto rp = self->make_response_promise<action_outcome>();
        ++self->state.creates;
        auto slot = req.slot;
        bool replace = req.replace;
        self->state.lane->submit(self, [rp, slot, replace](pg::connection& conn, const pg::result<void>& connected) mutable
                                 -> boost::asio::awaitable<sql_lane::continuation> {
          action_outcome out{slot.name, slot_action::create_logical};
          if (!connected) {
            out = action_outcome::failed(slot.name, slot_action::create_logical, connected.error());
            co_return [rp, out]() mutable { rp.deliver(std::move(out)); };
          }
          if (replace) {
            // A lost or invalidated copy on a replica: dropped (never an
            // active one), then created again below.
            pg::params d{slot.name};
            auto dropped = co_await conn.exec(q::drop_slot_sql(), d, pg::clock::now() + drop_budget);
            if (!dropped) {
              out = action_outcome::failed(slot.name, slot_action::create_logical, dropped.error(),
                                           "dropping the invalid copy");
              co_return [rp, out]() mutable { rp.deliver(std::move(out)); };
            }
          }
          {
            pg::params p{slot.name, slot.plugin};
            if (slot.failover)
              p.push_back("true");
            // docs/slot-rules.md Q8: creation waits for running transactions;
            // it has its own budget, not the 2 s heartbeat timeout.
            auto sql = slot.failover ? q::create_logical_slot_failover_sql() : q::create_logical_slot_sql();
            auto r = co_await conn.exec(sql, p, pg::clock::now() + model::slot_creation_budget);
            if (!r)
              out = action_outcome::failed(slot.name, slot_action::create_logical, r.error());
            else if (replace && !q::parse_created(*r))
              out = action_outcome::failed(slot.name, slot_action::create_logical, own_reason::copy_in_use);
          }
          co_return [rp, out]() mutable { rp.deliver(std::move(out)); };
        });
        pump(self);
        return rp;
      },
      [=](final_advance_request& req) -> caf::result<final_advance_result> {
        // Promote: the final targets replace whatever was scheduled.
        auto& s = self->state;
        s.scheduled.clear();
        s.waiting_retry = false;
        ++s.generation;
        auto rp = self->make_response_promise<final_advance_result>();
        auto targets = req.targets;
        auto until = req.deadline;
        s.lane->submit(self, [rp, targets, until](pg::connection& conn, const pg::result<void>& connected) mutable
                       -> boost::asio::awaitable<sql_lane::continuation> {
          final_advance_result res;
          for (auto& [slot, target] : targets) {
            if (pg::clock::now() >= until) {
              res.failed[slot] = slot_failure{own_reason::deadline_passed, ""};
              continue;
            }
            auto o = co_await advance_one(conn, connected, slot, target, until);
            if (o.ok && o.reached)
              res.advanced[slot] = *o.reached;
            else if (o.ok)
              res.failed[slot] = slot_failure{own_reason::position_unknown, ""};
            else
              res.failed[slot] = slot_failure{o.err, ""};
          }
          co_return [rp, res]() mutable { rp.deliver(std::move(res)); };
        });
        return rp;
      },
      [=](dump_atom) -> dump_reply {
        auto& s = self->state;
        nlohmann::json j = s.lane->dump();
        j["database"] = s.database;
        nlohmann::json sched = nlohmann::json::object();
        for (auto& [slot, lsn] : s.scheduled)
          sched[slot] = lsn.str();
        j["scheduled"] = sched;
        j["in_flight"] = s.in_flight ? nlohmann::json(*s.in_flight) : nlohmann::json(nullptr);
        j["generation"] = s.generation;
        j["waiting_retry"] = s.waiting_retry;
        j["advances"] = s.advances;
        j["failures"] = s.failures;
        j["creates"] = s.creates;
        nlohmann::json last = nlohmann::json::object();
        for (auto& [slot, r] : s.results)
          last[slot] = {{"target", r.target.str()},
                        {"reached", r.reached ? nlohmann::json(r.reached->str()) : nlohmann::json(nullptr)},
                        {"ok", r.ok},
                        {"error", r.error}};
        j["last_results"] = last;
        return {"advance_worker " + s.database, std::move(j)};
      },
  };
}

} // namespace

advance_worker_actor spawn_advance_worker(caf::actor_system& sys, io_runtime& io, pg::connection_options options,
                                          std::string database, ha_loop_actor ha) {
  return caf::actor_cast<advance_worker_actor>(
      sys.spawn(advance_worker, &io, std::move(options), std::move(database), std::move(ha)));
}

} // namespace slotd::actors
