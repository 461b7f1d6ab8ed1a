// leader_connection: one connection to the current leader (positions and
// catalog_xmin of its slots, its WAL position, slot state files for copies).
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/json_text.hpp"
#include "actors/io_bridge.hpp"
#include "actors/spawn.hpp"
#include "actors/sql_lane.hpp"
#include "pg/client/redact.hpp"
#include "pg/queries/node_facts.hpp"
#include "pg/queries/read.hpp"
#include "pg/queries/slots.hpp"
#include "pg/slotfile/slot_state.hpp"
#include "pg/slotfile/snapshot_file.hpp"

namespace slotd::actors {

namespace {

using namespace std::chrono_literals;
namespace q = pg::queries;

constexpr auto statement_budget = 5s;
// Slot state files are small (200 bytes each) but the leader may be busy.
constexpr auto copy_budget = 20s;

struct leader_state {
  leader_state() = default;
  std::optional<std::string> leader;
  std::string conninfo;
  std::unique_ptr<sql_lane> lane;
  std::uint64_t snapshots = 0;
  std::uint64_t fetches = 0;
  std::uint64_t standby_snapshots = 0;
  bool standby_snapshot_running = false; // at most one in the lane
  std::string standby_snapshot_error;    // the last one's, logged once per kind
};

using self_ptr = leader_connection_private::stateful_pointer<leader_state>;

boost::asio::awaitable<leader_snapshot> read_leader(pg::connection& conn, const pg::result<void>& connected,
                                                    std::string leader) {
  leader_snapshot snap;
  snap.leader = leader;
  snap.as_of = wall_clock::now();
  if (!connected) {
    snap.error = connected.error().what();
    co_return snap;
  }
  auto read = co_await q::read_node(conn, q::node_position_sql(conn.server_version()), pg::clock::now() + statement_budget,
                                    &q::parse_node_position);
  if (!read) {
    snap.error = read.error().what();
    co_return snap;
  }
  auto& pos = read->state;
  snap.reachable = true;
  snap.in_recovery = pos.in_recovery;
  snap.current_lsn = pos.position();
  snap.synchronized_standby_slots = pos.synchronized_standby_slots;
  snap.failover_confirmed = pos.failover_confirmed;
  snap.slots = std::move(read->slots);
  co_return snap;
}

boost::asio::awaitable<fetched_slot_files> fetch_files(pg::connection& conn, const pg::result<void>& connected,
                                                       std::vector<std::string> names) {
  fetched_slot_files out;
  if (!connected) {
    out.error = connected.error().what();
    co_return out;
  }
  pg::params p{q::text_array(names)};
  auto parsed = co_await q::query_parsed(conn, q::copy_slots_sql(conn.server_version()), p,
                                         pg::clock::now() + copy_budget, q::parse_copy_rows);
  if (!parsed) {
    out.error = parsed.error().what();
    co_return out;
  }
  auto identity = co_await q::read_identity(conn, pg::clock::now() + statement_budget);
  if (!identity) {
    out.error = identity.error().what();
    co_return out;
  }
  out.leader = std::move(*identity);
  for (auto& row : *parsed) {
    out.files.push_back({row.name, row.database, row.plugin, row.state});
    // The snapshot serialized at the restart_lsn of the state file (not
    // of pg_replication_slots: the file is what the copy restarts from).
    // An invalid state file is refused later, before the stop.
    auto state = pg::slotfile::parse_slot_state(row.state);
    if (!state || state->restart_lsn.is_zero())
      continue;
    auto snap = co_await q::read_snapshot_at(conn, row.name, state->restart_lsn, pg::clock::now() + copy_budget);
    if (!snap) {
      out.error = "reading the decoding snapshot of slot " + row.name + ": " + snap.error().what();
      co_return out;
    }
    out.files.back().snapshot = std::move(snap->bytes);
    out.files.back().unusable = std::move(snap->unusable);
  }
  out.ok = true;
  co_return out;
}

leader_connection_private::behavior_type leader_connection(self_ptr self, io_runtime* io) {
  return {
      [=](io_done& d) { d.run(); },
      [=](leader_target& t) {
        auto& st = self->state;
        if (t.name == st.leader && t.conninfo == st.conninfo)
          return;
        spdlog::get("ha")->info("leader connection: {} ({})", t.name.value_or("none"),
                                t.name ? pg::redact_conninfo(t.conninfo) : "-");
        st.leader = t.name;
        st.conninfo = t.conninfo;
        if (!t.name) {
          st.lane.reset();
          return;
        }
        pg::connection_options opts;
        opts.conninfo = t.conninfo;
        opts.name = "leader " + *t.name;
        opts.statement_timeout = std::chrono::milliseconds(0);
        if (st.lane)
          st.lane->reset(std::move(opts));
        else
          st.lane = std::make_unique<sql_lane>(*io, std::move(opts));
      },
      [=](snapshot_atom) -> caf::result<leader_snapshot> {
        auto& st = self->state;
        if (!st.leader || !st.lane) {
          leader_snapshot none;
          none.error = "no leader";
          none.as_of = wall_clock::now();
          return none;
        }
        ++st.snapshots;
        auto rp = self->make_response_promise<leader_snapshot>();
        auto name = *st.leader;
        st.lane->submit(self, [rp, name](pg::connection& conn, const pg::result<void>& connected) mutable
                        -> boost::asio::awaitable<sql_lane::continuation> {
          auto snap = co_await read_leader(conn, connected, name);
          co_return [rp, snap]() mutable { rp.deliver(std::move(snap)); };
        });
        return rp;
      },
      [=](fetch_slot_files& req) -> caf::result<fetched_slot_files> {
        auto& st = self->state;
        if (!st.leader || !st.lane) {
          fetched_slot_files none;
          none.error = "no leader";
          return none;
        }
        ++st.fetches;
        auto rp = self->make_response_promise<fetched_slot_files>();
        auto names = req.names;
        st.lane->submit(self, [rp, names](pg::connection& conn, const pg::result<void>& connected) mutable
                        -> boost::asio::awaitable<sql_lane::continuation> {
          auto files = co_await fetch_files(conn, connected, names);
          co_return [rp, files]() mutable { rp.deliver(std::move(files)); };
        });
        return rp;
      },
      [=](standby_snapshot_atom) {
        auto& st = self->state;
        if (!st.leader || !st.lane || st.standby_snapshot_running)
          return;
        st.standby_snapshot_running = true;
        st.lane->submit(self, [self](pg::connection& conn, const pg::result<void>& connected) mutable
                        -> boost::asio::awaitable<sql_lane::continuation> {
          std::string error;
          if (!connected) {
            error = connected.error().what();
          } else {
            auto r = co_await conn.exec(q::log_standby_snapshot_sql(), pg::clock::now() + statement_budget);
            if (!r)
              error = r.error().what();
          }
          co_return [self, error]() {
            auto& s = self->state;
            s.standby_snapshot_running = false;
            ++s.standby_snapshots;
            if (!error.empty() && error != s.standby_snapshot_error)
              spdlog::get("slots")->warn("pg_log_standby_snapshot() on the leader failed ({}): a slot being created "
                                         "on this replica waits for the leader's next running-transactions record",
                                         error);
            s.standby_snapshot_error = error;
          };
        });
      },
      [=](dump_atom) -> dump_reply {
        auto& st = self->state;
        nlohmann::json j = st.lane ? st.lane->dump() : nlohmann::json::object();
        j["standby_snapshots"] = st.standby_snapshots;
        j["standby_snapshot_error"] = st.standby_snapshot_error;
        j["leader"] = st.leader ? nlohmann::json(*st.leader) : nlohmann::json(nullptr);
        j["conninfo"] = st.leader ? pg::redact_conninfo(st.conninfo) : "";
        j["snapshots"] = st.snapshots;
        j["slot_file_fetches"] = st.fetches;
        return {"leader_connection", std::move(j)};
      },
  };
}

} // namespace

leader_connection_actor spawn_leader_connection(caf::actor_system& sys, io_runtime& io) {
  return caf::actor_cast<leader_connection_actor>(sys.spawn(leader_connection, &io));
}

} // namespace slotd::actors
