// members_reader: the members from the HA manager's own metadata
// (docs/configuration.md):
// - `members_from: repmgr`: every loop_wait, repmgr.nodes on the local
//   server, in the database that holds it (repmgr replicates the table to
//   every node; pg/model/repmgr_members.hpp);
// - `ha_source: pg_auto_failover`: pgautofailover.node on the monitor
//   (pg/model/pgaf_source.hpp), read again at each notification on the
//   monitor's channel "state" and at least every loop_wait; after each
//   read, the promote or follow that the node's goal state calls for is
//   sent to the HA loop (decide_pgaf_step, members_pgaf.cpp), the next
//   read waiting for its answer.
// When the members differ from those last given, they go to the HA loop as
// a cluster update, the same way as PUT /cluster. The HA loop plans nothing
// until the first update is in force. A read that fails keeps the members
// as they were; the HA loop shows why in /status until a read goes through
// again.
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/io_bridge.hpp"
#include "actors/json_text.hpp"
#include "actors/members_reader.hpp"
#include "actors/members_reader_state.hpp"
#include "pg/queries/pgaf_nodes.hpp"
#include "pg/queries/read.hpp"
#include "pg/queries/repmgr_nodes.hpp"

namespace slotd::actors {

namespace members {

namespace {

using namespace std::chrono_literals;
namespace q = pg::queries;
using config::members_source;

constexpr auto read_budget = 5s;
constexpr auto update_timeout = 15s;

// One read: the members it gives, or why none.
struct members_read {
  std::map<std::string, model::member> members;
  std::vector<std::string> problems; // nodes left out, and why
  std::string none_because;          // when `members` is empty
  std::vector<model::pgaf_node> pgaf_nodes;
};


std::string list_members(const std::map<std::string, model::member>& members) {
  std::string out;
  for (const auto& [name, m] : members)
    out += (out.empty() ? "" : ", ") + name + " (" + m.host + ":" + std::to_string(m.port) +
           (m.tags.replicatefrom ? ", from " + *m.tags.replicatefrom : "") +
           (m.tags.nostream ? ", nostream" : m.tags.nofailover ? ", nofailover" : "") + ")";
  return out.empty() ? "none" : out;
}

// The HA loop shows the reader's standing in /status: told when it changes.
void report(self_ptr self) {
  auto& st = self->state;
  self->send(st.ha, members_source_report{st.error, st.failing_since});
}

void failed(self_ptr self, std::string why) {
  auto& st = self->state;
  if (why == st.error)
    return;
  log_ha()->warn("{}: {} (the members stay as they were)", st.label, why);
  st.error = std::move(why);
  if (!st.failing_since)
    st.failing_since = wall_clock::now();
  report(self);
}

// A read (and its update, if one was due) went through.
void succeeded(self_ptr self) {
  auto& st = self->state;
  if (st.error.empty())
    return;
  log_ha()->info("{}: members read again", st.label);
  st.error.clear();
  st.failing_since.reset();
  report(self);
}

void read(self_ptr self, std::chrono::milliseconds wait_first);

} // namespace

// pg_auto_failover: the next read, waiting first for a notification (or
// `wait`) unless the last read failed (then the tick of its interval reads,
// the connection attempts backing off).
void next_read(self_ptr self, std::chrono::milliseconds wait) {
  auto& st = self->state;
  if (pgaf(st) && !st.read_failed && !st.acting && !st.updating)
    read(self, wait);
}

namespace {

void give(self_ptr self, std::map<std::string, model::member> members) {
  auto& st = self->state;
  cluster_update_request req;
  req.update.members = members;
  req.source = std::string(st.origin);
  st.updating = true;
  self->request(st.ha, update_timeout, std::move(req))
      .then(
          [self, members](cluster_update_reply& r) {
            auto& s = self->state;
            s.updating = false;
            if (r.refused != refusal::none) {
              failed(self, "the members read from " + s.origin + " were refused: " + r.error);
              act(self); // a promote needs no members; a follow of one not in force is refused
              return;
            }
            succeeded(self);
            ++s.updates;
            log_ha()->info("members from {}: {}", s.origin, list_members(members));
            s.given = members;
            act(self);
          },
          [self](caf::error& e) {
            self->state.updating = false;
            failed(self, "the HA loop did not take the members: " + caf::to_string(e));
          });
}

void took(self_ptr self, pg::result<members_read> got) {
  auto& st = self->state;
  st.last_read = wall_clock::now();
  st.read_failed = !got;
  if (!got) {
    failed(self, "cannot read " + st.origin + ": " + got.error().what());
    return;
  }
  if (got->problems != st.problems)
    for (const auto& p : got->problems)
      log_ha()->warn("{}: {}", st.label, p);
  st.problems = std::move(got->problems);
  st.nodes = std::move(got->pgaf_nodes);
  if (got->members.empty()) {
    failed(self, got->none_because);
    return;
  }
  if (st.given && *st.given == got->members) {
    succeeded(self);
    act(self);
    return;
  }
  if (!st.updating)
    give(self, std::move(got->members));
}

members_read from_pgaf(const reader_state& st, std::vector<model::pgaf_node> nodes) {
  members_read out;
  auto got = model::members_from_pgaf(nodes, st.my_node_id, st.settings.api_port);
  out.members = std::move(got.members);
  out.problems = std::move(got.problems);
  if (out.members.empty())
    out.none_because = "node " + std::to_string(st.my_node_id) + " (" + st.settings.my_name +
                       ") is not registered in formation " + st.settings.formation +
                       " on the monitor (is name this node's pgautofailover_standby_<node id>?)";
  out.pgaf_nodes = std::move(nodes);
  return out;
}

members_read from_repmgr(const reader_state& st, const std::vector<model::repmgr_node>& nodes) {
  members_read out;
  auto got = model::members_from_repmgr(nodes, model::repmgr_member_options{st.settings.api_port});
  out.members = std::move(got.members);
  out.problems = std::move(got.problems);
  if (out.members.empty())
    out.none_because = nodes.empty() ? "repmgr.nodes lists no node (is this node registered with repmgr?)"
                                     : "no node of repmgr.nodes can be a member (see the warnings)";
  return out;
}

// One read on the lane; with `wait_first`, a wait for the monitor's
// notifications comes first (pg_auto_failover: the connection LISTENs since
// its first read). A read still under way is not doubled; it ends within
// its budgets (connect 5 s, statement 2 s, our deadline read_budget).
void read(self_ptr self, std::chrono::milliseconds wait_first) {
  auto& st = self->state;
  if (st.lane->busy() || st.lane->queued() > 0)
    return;
  ++st.reads;
  const bool from_monitor = pgaf(st);
  auto formation = st.settings.formation;
  st.lane->submit(self, [self, wait_first, from_monitor, formation](pg::connection& conn,
                                                                    const pg::result<void>& connected) mutable
                  -> boost::asio::awaitable<sql_lane::continuation> {
    std::optional<pg::result<std::vector<model::repmgr_node>>> repmgr;
    std::optional<pg::result<std::vector<model::pgaf_node>>> monitor;
    std::size_t notified = 0;
    if (!connected) {
      if (from_monitor)
        monitor.emplace(connected.error());
      else
        repmgr.emplace(connected.error());
    } else if (!from_monitor) {
      auto sql = q::repmgr_nodes_sql();
      pg::params none;
      repmgr.emplace(
          co_await q::query_parsed(conn, sql, none, pg::clock::now() + read_budget, &q::parse_repmgr_nodes));
    } else {
      std::optional<pg::error> lost;
      if (wait_first > std::chrono::milliseconds::zero()) {
        auto got = co_await conn.wait_notifications(pg::clock::now() + wait_first);
        if (got)
          notified = got->size();
        else
          lost = got.error();
      }
      if (lost) {
        monitor.emplace(*lost);
      } else {
        auto batch = co_await conn.exec_batch(q::pgaf_nodes_batch(formation), pg::clock::now() + read_budget);
        if (!batch)
          monitor.emplace(batch.error());
        else
          monitor.emplace(q::parse_pgaf_nodes(batch->back()));
      }
    }
    co_return [self, repmgr = std::move(repmgr), monitor = std::move(monitor), notified]() mutable {
      auto& s = self->state;
      s.notifications += notified;
      if (monitor)
        took(self, *monitor ? pg::result<members_read>(from_pgaf(s, std::move(**monitor)))
                            : pg::result<members_read>(monitor->error()));
      else
        took(self, *repmgr ? pg::result<members_read>(from_repmgr(s, **repmgr))
                           : pg::result<members_read>(repmgr->error()));
    };
  });
}

// Every interval: a read, unless one is under way (pg_auto_failover: one
// always is, waiting for notifications, once a read went through).
void tick(self_ptr self) {
  auto& st = self->state;
  self->delayed_send(self, st.settings.interval, tick_atom_v, std::uint64_t{0});
  if (!st.acting && !st.updating)
    read(self, std::chrono::milliseconds::zero());
}

members_reader_private::behavior_type members_reader(self_ptr self, io_runtime* io, members_reader_settings settings,
                                                     ha_loop_actor ha) {
  auto& st = self->state;
  pg::connection_options opts;
  opts.conninfo = settings.conninfo;
  opts.statement_timeout = std::chrono::milliseconds(2000);
  if (settings.source == members_source::pg_auto_failover) {
    opts.name = "pg_auto_failover monitor";
    st.my_node_id = model::pgaf_node_id_of(settings.my_name).value_or(0);
  } else {
    opts.dbname = settings.database;
    opts.name = "repmgr.nodes";
  }
  st.label = std::string(config::members_source_label(settings.source));
  st.origin = std::string(config::members_origin(settings.source));
  st.lane = std::make_unique<sql_lane>(*io, std::move(opts));
  st.settings = std::move(settings);
  st.ha = ha;
  self->monitor(ha); // ends with the HA loop
  self->set_down_handler([self](caf::down_msg&) { self->quit(); });
  if (st.settings.first_read_after > std::chrono::milliseconds::zero())
    self->delayed_send(self, st.settings.first_read_after, tick_atom_v, std::uint64_t{0});
  else
    self->send(self, tick_atom_v, std::uint64_t{0});
  return {
      [=](io_done& d) { d.run(); },
      [=](tick_atom, std::uint64_t) { tick(self); },
      [=](dump_atom) -> dump_reply {
        auto& s = self->state;
        nlohmann::json j = s.lane->dump();
        j["source"] = s.origin;
        if (pgaf(s)) {
          j["formation"] = s.settings.formation;
          j["node_id"] = s.my_node_id;
          j["notifications"] = s.notifications;
          j["promotes"] = s.promotes;
          j["follows"] = s.follows;
          j["told"] = {{"step", to_string(s.told.step)}, {"leader", s.told.leader}};
          j["last_step"] = s.last_step;
          j["acting"] = s.acting;
          if (auto me = std::find_if(s.nodes.begin(), s.nodes.end(),
                                     [&](const model::pgaf_node& n) { return n.node_id == s.my_node_id; });
              me != s.nodes.end())
            j["states"] = {{"goal", me->goal_state}, {"reported", me->reported_state}};
        } else {
          j["database"] = s.settings.database;
        }
        j["reads"] = s.reads;
        j["updates"] = s.updates;
        j["last_read"] = s.last_read ? nlohmann::json(iso_time(*s.last_read)) : nlohmann::json();
        j["members"] = nlohmann::json::array();
        if (s.given)
          for (const auto& [name, m] : *s.given)
            j["members"].push_back(name);
        j["problems"] = s.problems;
        j["error"] = s.error;
        j["failing_since"] = s.failing_since ? nlohmann::json(iso_time(*s.failing_since)) : nlohmann::json();
        return {"members_reader", std::move(j)};
      },
  };
}

} // namespace

} // namespace members

members_reader_actor spawn_members_reader(caf::actor_system& sys, io_runtime& io, members_reader_settings settings,
                                          ha_loop_actor ha) {
  return caf::actor_cast<members_reader_actor>(sys.spawn(members::members_reader, &io, std::move(settings), ha));
}

} // namespace slotd::actors
