// members_reader: `members_from: repmgr` (docs/configuration.md). Every
// loop_wait it reads repmgr.nodes on the local server, in the database that
// holds it (repmgr replicates the table to every node), and when the
// members it gives (pg/model/repmgr_members.hpp) differ from those last
// given, it hands them to the HA loop as a cluster update, the same way as
// PUT /cluster. The HA loop plans nothing until the first update is in
// force. A read that fails keeps the members as they were; the HA loop
// shows why in /status until a read goes through again.
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/io_bridge.hpp"
#include "actors/json_text.hpp"
#include "actors/members_reader.hpp"
#include "actors/sql_lane.hpp"
#include "pg/queries/read.hpp"
#include "pg/queries/repmgr_nodes.hpp"

namespace slotd::actors {

namespace {

using namespace std::chrono_literals;
namespace q = pg::queries;

constexpr auto read_budget = 5s;
constexpr auto update_timeout = 15s;
constexpr const char* source_name = "repmgr.nodes";

struct reader_state {
  reader_state() = default;
  members_reader_settings settings;
  ha_loop_actor ha;
  std::unique_ptr<sql_lane> lane;
  std::optional<std::map<std::string, model::member>> given; // in force in the HA loop
  std::vector<std::string> problems;                         // of the last read
  std::string error;                                         // of the last read or update, if it failed
  std::optional<wall_clock::time_point> failing_since;       // since when reads or updates fail
  std::optional<wall_clock::time_point> last_read;
  std::uint64_t reads = 0;
  std::uint64_t updates = 0;
  bool updating = false;
};

using self_ptr = members_reader_private::stateful_pointer<reader_state>;

std::shared_ptr<spdlog::logger> log_ha() { return spdlog::get("ha"); } // as the other actors log

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
  log_ha()->warn("members_from repmgr: {} (the members stay as they were)", why);
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
  log_ha()->info("members_from repmgr: members read again");
  st.error.clear();
  st.failing_since.reset();
  report(self);
}

void give(self_ptr self, std::map<std::string, model::member> members) {
  auto& st = self->state;
  cluster_update_request req;
  req.update.members = members;
  req.source = source_name;
  st.updating = true;
  self->request(st.ha, update_timeout, std::move(req))
      .then(
          [self, members](cluster_update_reply& r) {
            auto& s = self->state;
            s.updating = false;
            if (r.refused != refusal::none) {
              failed(self, "the members read from repmgr.nodes were refused: " + r.error);
              return;
            }
            succeeded(self);
            ++s.updates;
            log_ha()->info("members from repmgr.nodes: {}", list_members(members));
            s.given = members;
          },
          [self](caf::error& e) {
            self->state.updating = false;
            failed(self, "the HA loop did not take the members: " + caf::to_string(e));
          });
}

void took(self_ptr self, pg::result<std::vector<model::repmgr_node>> nodes) {
  auto& st = self->state;
  st.last_read = wall_clock::now();
  if (!nodes) {
    failed(self, "cannot read repmgr.nodes in database " + st.settings.database + ": " + nodes.error().what());
    return;
  }
  auto got = model::members_from_repmgr(*nodes, model::repmgr_member_options{st.settings.api_port});
  if (got.problems != st.problems)
    for (const auto& p : got.problems)
      log_ha()->warn("members_from repmgr: {}", p);
  st.problems = std::move(got.problems);
  if (got.members.empty()) {
    failed(self, nodes->empty() ? "repmgr.nodes lists no node (is this node registered with repmgr?)"
                                : "no node of repmgr.nodes can be a member (see the warnings)");
    return;
  }
  if (st.given && *st.given == got.members) {
    succeeded(self);
    return;
  }
  if (!st.updating)
    give(self, std::move(got.members));
}

// Every interval, the next read scheduled first: a read that fails does
// not end the reading. A read still under way when the next is due is not
// doubled; it ends within its budgets (connect 5 s, statement 2 s, our
// deadline read_budget).
void read(self_ptr self) {
  auto& st = self->state;
  self->delayed_send(self, st.settings.interval, tick_atom_v, std::uint64_t{0});
  if (st.lane->busy() || st.lane->queued() > 0)
    return;
  ++st.reads;
  st.lane->submit(self, [self](pg::connection& conn, const pg::result<void>& connected) mutable
                  -> boost::asio::awaitable<sql_lane::continuation> {
    std::optional<pg::result<std::vector<model::repmgr_node>>> nodes;
    if (!connected) {
      nodes.emplace(connected.error());
    } else {
      auto sql = q::repmgr_nodes_sql();
      pg::params none;
      nodes.emplace(
          co_await q::query_parsed(conn, sql, none, pg::clock::now() + read_budget, &q::parse_repmgr_nodes));
    }
    co_return [self, nodes = std::move(*nodes)]() mutable { took(self, std::move(nodes)); };
  });
}

members_reader_private::behavior_type members_reader(self_ptr self, io_runtime* io, members_reader_settings settings,
                                                     ha_loop_actor ha) {
  auto& st = self->state;
  pg::connection_options opts;
  opts.conninfo = settings.conninfo;
  opts.dbname = settings.database;
  opts.statement_timeout = std::chrono::milliseconds(2000);
  opts.name = "repmgr.nodes";
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
      [=](tick_atom, std::uint64_t) { read(self); },
      [=](dump_atom) -> dump_reply {
        auto& s = self->state;
        nlohmann::json j = s.lane->dump();
        j["source"] = source_name;
        j["database"] = s.settings.database;
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

members_reader_actor spawn_members_reader(caf::actor_system& sys, io_runtime& io, members_reader_settings settings,
                                          ha_loop_actor ha) {
  return caf::actor_cast<members_reader_actor>(sys.spawn(members_reader, &io, std::move(settings), ha));
}

} // namespace slotd::actors
