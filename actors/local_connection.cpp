// local_connection: the one connection to the local server used by the HA
// loop (state reads, drops, physical creates and advances). Logical slot
// creation and advances go through the per-database advance workers.
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/actor_system.hpp>
#include <spdlog/spdlog.h>

#include "actors/json_text.hpp"
#include "actors/io_bridge.hpp"
#include "actors/spawn.hpp"
#include "actors/sql_lane.hpp"
#include "pg/model/version_gates.hpp"
#include "pg/queries/failover.hpp"
#include "pg/queries/node_facts.hpp"
#include "pg/queries/node_state.hpp"
#include "pg/queries/slot_details.hpp"
#include "pg/queries/read.hpp"
#include "pg/queries/slots.hpp"

namespace slotd::actors {

namespace {

using namespace std::chrono_literals;
namespace q = pg::queries;

// Reads and slot commands on the heartbeat connection (2 s statement
// timeout, docs/slot-rules.md §2.7); the deadline is ours, a bit longer.
constexpr auto statement_budget = 5s;
// The operator figures read apart (PostgreSQL 12 and 17+, read_snapshot): a
// budget of their own, short, so that with the connect and
// the snapshot before them the job stays within the HA loop's request
// timeout (15 s).
constexpr auto details_budget = 2s;

struct local_state {
  local_state() = default;
  std::unique_ptr<sql_lane> lane;
  std::uint64_t snapshots = 0;
  std::uint64_t action_batches = 0;
  std::string last_snapshot_error;
};

using self_ptr = local_connection_private::stateful_pointer<local_state>;

// 17+: slotsync's settings and the failover slots. A failure here
// is reported apart and leaves the rest of the snapshot usable.
boost::asio::awaitable<void> read_failover_state(pg::connection& conn, pg::clock::time_point until,
                                                 local_snapshot& snap) {
  auto settings = co_await q::query_parsed(conn, q::failover_settings_sql(), pg::params{}, until,
                                           q::parse_failover_settings);
  if (!settings) {
    snap.failover_error = "failover settings: " + settings.error().what();
    co_return;
  }
  snap.sync_settings.sync_replication_slots = settings->sync_replication_slots;
  snap.sync_settings.hot_standby_feedback = snap.hot_standby_feedback;
  snap.sync_settings.primary_slot_name = settings->primary_slot_name;
  snap.sync_settings.primary_conninfo_dbname = settings->primary_conninfo_dbname;
  snap.synchronized_standby_slots = settings->synchronized_standby_slots;
  auto slots = co_await q::query_parsed(conn, q::failover_slots_sql(), pg::params{}, until, q::parse_failover_slots);
  if (!slots) {
    snap.failover_error = "failover slots: " + slots.error().what();
    co_return;
  }
  snap.failover_slots = std::move(*slots);
  if (snap.in_recovery)
    co_return;
  auto senders = co_await q::query_parsed(conn, q::standby_senders_sql(), pg::params{}, until, q::parse_standby_senders);
  if (!senders) {
    snap.failover_error = "standby senders: " + senders.error().what();
    co_return;
  }
  snap.standby_senders = std::move(*senders);
}

// A Reply {ok, error, value} from what a read returned: the value into
// `field`, or why not.
template <class Reply, class Value, class Result>
void fill_reply(Reply& out, Value Reply::*field, Result r) {
  out.ok = r.ok();
  if (r)
    out.*field = std::move(*r);
  else
    out.error = r.error().what();
}

// The operator figures of every slot (pg/queries/slot_details.hpp), read
// apart from the snapshot.
boost::asio::awaitable<slot_details_reply> read_details(pg::connection& conn) {
  slot_details_reply out;
  // g++ 12: temporaries in a co_await expression may be destroyed twice.
  auto sql = q::slot_details_sql(conn.server_version());
  pg::params none;
  auto until = pg::clock::now() + details_budget;
  auto r = co_await q::query_parsed(conn, sql, none, until, &q::parse_slot_details);
  fill_reply(out, &slot_details_reply::details, std::move(r));
  co_return out;
}

// With `details` (a full cycle's), the operator figures of every slot
// (pg/queries/slot_details.hpp): on 13-16 in the same round trip as the
// state and the slots (their failure is the details' error and leaves the
// rest usable); otherwise in a query of their own, last: on 12 because
// statement_timeout covers a whole batch, on 17+ because the failover
// reads come after the state and the slots, and a details statement that
// lost the connection or passed the deadline would leave them unread.
boost::asio::awaitable<local_snapshot> read_snapshot(pg::connection& conn, const pg::result<void>& connected,
                                                     bool details) {
  local_snapshot snap;
  snap.as_of = wall_clock::now();
  if (!connected) {
    snap.error = connected.error().what();
    co_return snap;
  }
  auto until = pg::clock::now() + statement_budget;
  const int major = q::major_of(conn.server_version());
  const bool details_in_batch = details && major >= 13 && !model::has_failover_slots(major);
  std::vector<std::string> extra;
  if (details_in_batch)
    extra.push_back(q::slot_details_sql(conn.server_version()));
  auto read = co_await q::read_node(conn, q::node_state_sql(), until, &q::parse_node_state, std::move(extra));
  if (!read) {
    snap.error = read.error().what();
    co_return snap;
  }
  auto& state = read->state;
  snap.reachable = true;
  snap.server_version = conn.server_version();
  snap.in_recovery = state.in_recovery;
  snap.current_lsn = state.current_lsn;
  snap.replay_lsn = state.replay_lsn;
  snap.receive_lsn = state.receive_lsn;
  snap.timeline = state.timeline;
  snap.hot_standby_feedback = state.hot_standby_feedback;
  snap.sender_host = state.sender_host;
  snap.sender_port = state.sender_port;
  snap.wal_receiver = state.wal_receiver;
  snap.started_at = state.started_at;
  snap.slots = std::move(read->slots);
  if (details_in_batch) {
    slot_details_reply d;
    if (read->extra_error)
      d.error = read->extra_error->what();
    else if (read->extra.size() == 1)
      fill_reply(d, &slot_details_reply::details, q::parse_slot_details(read->extra[0]));
    else
      d.error = "slot details: no answer";
    snap.details = std::move(d);
  }
  if (model::has_failover_slots(major))
    co_await read_failover_state(conn, until, snap);
  if (details && !details_in_batch)
    snap.details = co_await read_details(conn);
  co_return snap;
}

// ALTER SYSTEM, then the reload that makes it count. The outcome's `slot`
// holds the value (for the log and status).
boost::asio::awaitable<action_outcome> set_synchronized_standby_slots(pg::connection& conn,
                                                                      const std::vector<std::string>& names) {
  auto value = model::synchronized_standby_slots_value(names);
  constexpr auto set_slots = slot_action::set_standby_slots;
  auto sql = q::set_synchronized_standby_slots_sql(names);
  if (!sql)
    co_return action_outcome::failed(value, set_slots, sql.error());
  auto set = co_await conn.exec(*sql, pg::clock::now() + statement_budget);
  if (!set)
    co_return action_outcome::failed(value, set_slots, set.error());
  auto reload = co_await conn.exec(q::reload_conf_sql(), pg::clock::now() + statement_budget);
  if (!reload)
    co_return action_outcome::failed(value, set_slots, reload.error(), "set, but pg_reload_conf() failed");
  co_return action_outcome{value, set_slots};
}

// Each action on its own: one slot's failure never stops the others
// (docs/slot-rules.md Q2).
boost::asio::awaitable<local_actions_result> run_actions(pg::connection& conn, const pg::result<void>& connected,
                                                         local_actions actions) {
  local_actions_result out;
  auto fail_all = [&](const pg::error& why) {
    for (auto& d : actions.drops)
      out.outcomes.push_back(action_outcome::failed(d.name, slot_action::drop, why));
    for (auto& c : actions.physical_creates)
      out.outcomes.push_back(action_outcome::failed(c, slot_action::create_physical, why));
    for (auto& a : actions.physical_advances) {
      out.outcomes.push_back(action_outcome::failed(a.name, slot_action::advance_physical, why));
      out.outcomes.back().target = a.target;
    }
    if (actions.synchronized_standby_slots)
      out.outcomes.push_back(action_outcome::failed("", slot_action::set_standby_slots, why));
  };
  if (!connected) {
    fail_all(connected.error());
    co_return out;
  }
  for (auto& d : actions.drops) {
    pg::params p{d.name};
    auto r = co_await conn.exec(q::drop_slot_sql(), p, pg::clock::now() + statement_budget);
    if (!r) {
      out.outcomes.push_back(action_outcome::failed(d.name, slot_action::drop, r.error()));
      continue;
    }
    auto o = q::parse_drop(*r);
    if (!o)
      out.outcomes.push_back(action_outcome::failed(d.name, slot_action::drop, o.error()));
    else if (o->dropped)
      out.outcomes.push_back({d.name, slot_action::drop});
    else if (o->active)
      out.outcomes.push_back({d.name, slot_action::drop, outcome::kept_active});
    else if (!o->existed)
      out.outcomes.push_back({d.name, slot_action::drop, outcome::absent});
    else
      out.outcomes.push_back(action_outcome::failed(d.name, slot_action::drop, own_reason::not_dropped));
  }
  for (auto& name : actions.physical_creates) {
    pg::params p{name};
    auto r = co_await conn.exec(q::create_physical_slot_sql(), p, pg::clock::now() + statement_budget);
    out.outcomes.push_back(r ? action_outcome{name, slot_action::create_physical}
                             : action_outcome::failed(name, slot_action::create_physical, r.error()));
  }
  for (auto& a : actions.physical_advances) {
    auto p = q::advance_params(a.name, a.target);
    auto r = co_await conn.exec(q::advance_slot_sql(), p, pg::clock::now() + statement_budget);
    if (!r) {
      out.outcomes.push_back(action_outcome::failed(a.name, slot_action::advance_physical, r.error()));
      out.outcomes.back().target = a.target;
      continue;
    }
    // Done: `target` is where the slot got to (the same position when
    // capped at what a standby replayed; none when NULL).
    out.outcomes.push_back({a.name, slot_action::advance_physical});
    if (auto reached = q::parse_advance(*r); reached && *reached)
      out.outcomes.back().target = **reached;
  }
  if (actions.synchronized_standby_slots)
    out.outcomes.push_back(co_await set_synchronized_standby_slots(conn, *actions.synchronized_standby_slots));
  co_return out;
}

// The snapshot of a cycle; with `details` (a full cycle's), the operator
// figures in the same round trip: one request, one hop to the I/O thread
// and back, one wake-up for the answer.
caf::result<local_snapshot> read_local(self_ptr self, bool details) {
  auto rp = self->make_response_promise<local_snapshot>();
  self->state.lane->submit(self, [rp, details](pg::connection& conn, const pg::result<void>& connected) mutable
                           -> boost::asio::awaitable<sql_lane::continuation> {
    auto snap = co_await read_snapshot(conn, connected, details);
    co_return [rp, snap]() mutable { rp.deliver(std::move(snap)); };
  });
  ++self->state.snapshots;
  return rp;
}

// One read on the lane, answered with a Reply {ok, error, value}: the
// value read into `field`, or why not.
template <class Reply, class Value, class Read>
caf::result<Reply> read_reply(self_ptr self, Value Reply::*field, Read read) {
  auto rp = self->make_response_promise<Reply>();
  self->state.lane->submit(self, [rp, field, read](pg::connection& conn, const pg::result<void>& connected) mutable
                           -> boost::asio::awaitable<sql_lane::continuation> {
    Reply out;
    if (!connected) {
      out.error = connected.error().what();
    } else {
      auto r = co_await read(conn);
      fill_reply(out, field, std::move(r));
    }
    co_return [rp, out]() mutable { rp.deliver(std::move(out)); };
  });
  return rp;
}

local_connection_private::behavior_type local_connection(self_ptr self, io_runtime* io, pg::connection_options opts) {
  opts.name = "local";
  self->state.lane = std::make_unique<sql_lane>(*io, std::move(opts));
  return {
      [=](io_done& d) { d.run(); },
      [=](snapshot_atom) -> caf::result<local_snapshot> { return read_local(self, false); },
      [=](snapshot_atom, details_atom) -> caf::result<local_snapshot> { return read_local(self, true); },
      [=](local_actions& actions) -> caf::result<local_actions_result> {
        auto rp = self->make_response_promise<local_actions_result>();
        ++self->state.action_batches;
        self->state.lane->submit(self, [rp, actions](pg::connection& conn, const pg::result<void>& connected) mutable
                                 -> boost::asio::awaitable<sql_lane::continuation> {
          auto res = co_await run_actions(conn, connected, actions);
          co_return [rp, res]() mutable { rp.deliver(std::move(res)); };
        });
        return rp;
      },
      [=](facts_atom) -> caf::result<local_facts> {
        return read_reply(self, &local_facts::facts, [](pg::connection& conn) {
          return q::read_node_facts(conn, pg::clock::now() + statement_budget);
        });
      },
      [=](dump_atom) -> dump_reply {
        nlohmann::json j = self->state.lane->dump();
        j["snapshots"] = self->state.snapshots;
        j["action_batches"] = self->state.action_batches;
        return {"local_connection", std::move(j)};
      },
  };
}

} // namespace

local_connection_actor spawn_local_connection(caf::actor_system& sys, io_runtime& io, pg::connection_options options) {
  return caf::actor_cast<local_connection_actor>(sys.spawn(local_connection, &io, std::move(options)));
}

} // namespace slotd::actors
