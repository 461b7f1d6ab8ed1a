#pragma once
// Every message slotd's actors exchange: atoms and plain structs, in one
// CAF type-ID block. The structs never leave the process, so they are
// registered as local-only message types (no serialisation).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/type_id.hpp>
#include <nlohmann/json.hpp>

#include "config/cluster_update.hpp"
#include "config/config.hpp"
#include "pg/client/error.hpp"
#include "pg/model/audit.hpp"
#include "pg/model/cluster_view.hpp"
#include "pg/model/copy_prerequisites.hpp"
#include "pg/model/error_kind.hpp"
#include "pg/model/failover_slots.hpp"
#include "pg/model/promote_deadline.hpp"
#include "pg/model/promotion.hpp"
#include "pg/model/local_slot.hpp"
#include "pg/model/slot_figures.hpp"
#include "pg/model/slot_plan.hpp"
#include "pg/slotfile/copy_selection.hpp"
#include "pg/types/lsn.hpp"
#include "actors/slot_failure.hpp"
#include "actors/views.hpp"

namespace slotd::actors {

using wall_clock = std::chrono::system_clock;

// Work finished on the Asio I/O thread, run by the actor that started it
// (see io_bridge.hpp). It only ever touches that actor's state.
struct io_done {
  std::function<void()> run;
};

// ---------------------------------------------------------------- local

// Per-slot details for operators (pg/queries/slot_details.hpp), read once
// per full cycle with its snapshot.
struct slot_details_reply {
  bool ok = false;
  std::string error;
  model::slot_details_map details;
};

// What the local server says, read once per cycle.
struct local_snapshot {
  bool reachable = false;
  std::string error; // when not reachable
  bool in_recovery = false;
  int server_version = 0; // server_version_num, e.g. 150018
  model::slot_cache slots;
  std::optional<pg::lsn> current_lsn; // primary
  std::optional<pg::lsn> replay_lsn;  // standby
  std::optional<pg::lsn> receive_lsn; // standby: the last WAL received
  std::optional<std::int64_t> timeline; // a standby's while it streams
  std::optional<bool> hot_standby_feedback;
  // pg_stat_wal_receiver: whom a standby streams from (role: auto).
  std::optional<std::string> sender_host;
  std::optional<int> sender_port;
  std::optional<std::string> wal_receiver; // pg_stat_wal_receiver.status; nullopt: none
  std::string started_at; // pg_postmaster_start_time(): a change means a restart
  // 17+ only: what PostgreSQL's slotsync needs on a standby, the
  // failover slots' sync state (synced ones included: `slots` hides them)
  // and the primary's synchronized_standby_slots (nullopt: not read).
  model::standby_sync_settings sync_settings;
  std::vector<model::failover_slot_state> failover_slots;
  std::optional<std::string> synchronized_standby_slots;
  // 17+ primary: its walsenders' states by physical slot (nullopt: not read).
  std::optional<std::map<std::string, std::string>> standby_senders;
  std::string failover_error; // reading those failed; the rest is good
  // Asked for with (snapshot_atom, details_atom) and the server reachable:
  // the operator figures, read in the snapshot's round trip (12: right
  // after it, in the same lane job).
  std::optional<slot_details_reply> details;
  wall_clock::time_point as_of{};
};

// The slot work of one cycle for the local connection, done in this order,
// each action on its own (one slot's failure never stops the others).
struct local_actions {
  std::vector<model::drop_action> drops;
  std::vector<std::string> physical_creates;
  std::vector<model::physical_advance> physical_advances;
  // 17+ primary: ALTER SYSTEM SET synchronized_standby_slots to these slots
  // (after the creates: the slots it names exist by then) and reload.
  std::optional<std::vector<std::string>> synchronized_standby_slots;
};

// A slot action of the local connection or an advance worker
// (pg/model/error_kind.hpp: its log name and its error kind).
using model::slot_action;

// How a slot action ended. `absent`: a drop of a slot that did not exist
// (done); `kept_active`: a drop not done, the slot is active (retried next
// cycle); `failed`: see the failure.
enum class outcome { done, absent, kept_active, failed };

struct action_outcome {
  std::string slot; // set_standby_slots: the value set
  slot_action action = slot_action::drop;
  outcome result = outcome::done;
  std::optional<slot_failure> failure; // result failed: why
  std::optional<pg::lsn> target;       // advance_physical: where to

  bool ok() const { return result == outcome::done || result == outcome::absent; }
  // Why it failed, for logs ("" unless failed).
  std::string why() const { return failure ? failure->what() : std::string(); }

  // Failed with the server's error `e` (while doing `step`, if given).
  static action_outcome failed(std::string slot, slot_action action, const pg::error& e, std::string step = "") {
    return {std::move(slot), action, outcome::failed, slot_failure{e, std::move(step)}, std::nullopt};
  }
  // Failed for one of slotd's own reasons.
  static action_outcome failed(std::string slot, slot_action action, own_reason r) {
    return {std::move(slot), action, outcome::failed, slot_failure{r, ""}, std::nullopt};
  }
};

struct local_actions_result {
  std::vector<action_outcome> outcomes;
};

// --------------------------------------------------------------- leader

// The leader this agent follows, as a connection target (nullopt: none).
struct leader_target {
  std::optional<std::string> name;
  std::string conninfo; // full conninfo, never logged unredacted
};

// The leader's pg_replication_slots and WAL position, read every cycle.
struct leader_snapshot {
  bool reachable = false;
  std::string error;
  std::string leader; // member name
  bool in_recovery = false;
  std::optional<pg::lsn> current_lsn;
  model::slot_cache slots;
  // current_setting('synchronized_standby_slots', true): nullopt before 17.
  std::optional<std::string> synchronized_standby_slots;
  // 17+: the largest confirmed_flush_lsn of its logical failover slots.
  std::optional<pg::lsn> failover_confirmed;
  wall_clock::time_point as_of{};
};

struct fetch_slot_files {
  std::vector<std::string> names;
};

// A slot's state file as the leader has it (name, database, plugin, bytes).
using fetched_slot_file = pg::slotfile::leader_slot_file;

struct fetched_slot_files {
  bool ok = false;
  std::string error;
  std::vector<fetched_slot_file> files;
  model::node_facts leader; // its version and system identifier
};

// The local server's facts that a copy's prerequisites are checked against.
struct local_facts {
  bool ok = false;
  std::string error;
  model::node_facts facts;
};

// --------------------------------------------------------------- copier

// A logical slot to copy from the leader, as the configuration wants it
// (the leader's file must match before the server is stopped).
using wanted_copy = pg::slotfile::wanted_slot;

// From the HA loop to the slot copier: copy these slots now.
struct copy_order {
  std::vector<wanted_copy> slots;
  std::vector<std::string> recopies; // those that replace a local copy (counted once the server stops)
  std::optional<std::string> leader; // for the logs
  // Why each slot is copied ("new on the leader 2.1 s ago", "missing here",
  // "re-copy"): logged, and kept with the restart in the copier's dump.
  std::map<std::string, std::string> causes;
};


// The slot copier's running totals, sent with each of its reports (the
// HA loop's metrics and /state show them).
struct copier_counts {
  std::uint64_t copies = 0;   // slots installed or created here
  std::uint64_t created = 0;  // of which created on this replica (no restart)
  std::uint64_t restarts = 0; // server restarts for file copies
  std::uint64_t failures = 0; // copies that failed (a cancelled one is not a failure)
  std::map<std::string, std::uint64_t> restarts_by_slot; // restarts that installed each slot
};

// From the slot copier to the HA loop: a copy created on this replica
// (copy_method create), or why not.
struct copy_created {
  std::string slot;
  std::string database;
  bool replace = false; // it replaced an invalid copy (a re-copy)
  std::optional<slot_failure> failure; // nullopt: created
  std::chrono::milliseconds took{0};
  copier_counts counts;
};

// Where the copier is. `restarting`: the server is being stopped, its slot
// files installed, and started again; `server_down`: a start failed and is
// retried with backoff until the server runs.
enum class copy_phase { idle, fetching, restarting, server_down };
std::string to_string(copy_phase p);

// From the slot copier to the HA loop, at every change of phase.
struct copy_report {
  copy_phase phase = copy_phase::idle;
  std::vector<std::string> slots;     // the copy this is about
  wall_clock::time_point started_at{}; // of that copy
  bool finished = false;              // this copy is over (the server may still be down)
  bool stopped = false;               // it stopped the server (one restart)
  std::vector<std::string> installed; // slot files now in pg_replslot
  std::vector<model::refused_slot> refused; // left out, checked before any stop
  std::string error;                  // what went wrong, if anything
  bool cancelled = false;             // dropped before the stop (demote, PUT /cluster, SIGHUP, pause)
  unsigned start_attempts = 0;
  std::chrono::milliseconds stop_ms{0}, install_ms{0}, start_ms{0};
  copier_counts counts; // the copier's totals, this copy included
  // At start: the re-copies of the last hour recorded in state_dir.
  std::map<std::string, std::vector<wall_clock::time_point>> recopy_history;
};

// ------------------------------------------------------ advance workers

// Latest targets for this worker's database (coalesced: latest wins).
struct advance_targets {
  std::map<std::string, pg::lsn> targets;
};

// One advance attempt's outcome, reported to the HA loop.
struct advance_report {
  std::string database;
  std::string slot;
  pg::lsn target;
  std::optional<pg::lsn> reached;
  std::optional<pg::error> error; // nullopt: done
};

struct final_advance_request {
  std::map<std::string, pg::lsn> targets;
  // The promote's deadline for the final advance (pg/model/
  // promote_deadline.hpp): the worker stops there. Always set by the
  // sender: the default (the clock's epoch) has passed. It is a time of the
  // actor system's clock, which in slotd is the steady clock the worker
  // reads (pg::clock).
  std::chrono::steady_clock::time_point deadline{};
};

struct final_advance_result {
  std::map<std::string, pg::lsn> advanced; // slot → position reached
  std::map<std::string, slot_failure> failed; // slot → why
};

struct create_logical_request {
  model::logical_create slot;
  // On a replica (copy_method create): the local copy is lost or invalid;
  // drop it first (never an active one), and fail unless it was created.
  bool replace = false;
};

// ----------------------------------------------------- control messages

struct promote_request {
  std::chrono::milliseconds timeout{30000};
  // A switchover: the old primary's member name; its agent's final slot
  // positions (GET /final-positions) are the final advance's targets.
  std::optional<std::string> handover_from;
  // now + timeout, set by the first actor that gets the request (its clock,
  // steady): every part answers by it plus its slack (pg/model/promote_deadline.hpp).
  std::optional<model::promote_clock::time_point> deadline;

  // The deadline, set from `now` when nobody has set it yet.
  model::promote_clock::time_point fix_deadline(model::promote_clock::time_point now) {
    if (!deadline)
      deadline = now + timeout;
    return *deadline;
  }
};

// What a promote with handover_from got from the old primary's agent.
struct handover_report {
  std::string from;
  std::vector<std::string> handed_over;  // copies advanced to a handed-over position
  std::vector<std::string> from_samples; // copies advanced to last samples only
  std::vector<std::string> not_reached;  // handed over, but cut at replay or not advanced
  std::string error;                     // why nothing was handed over ("" when it was)
  std::optional<pg::lsn> checkpoint_lsn;  // the old primary's shutdown checkpoint
};

// Why an agent did not do what it was asked (none: it did). The HTTP API
// renders it as a status code (docs/api.md); actors never speak HTTP.
enum class refusal {
  none,
  bad_request, // the request names something that is not so (an unknown member, an invalid view)
  busy,        // not now: another promote or demote, a slot copy holding the server, a running server
  unavailable, // a part of the agent did not answer in time
};

constexpr std::string_view to_string(refusal r) {
  switch (r) {
  case refusal::none: return "none";
  case refusal::bad_request: return "bad request";
  case refusal::busy: return "busy";
  case refusal::unavailable: return "unavailable";
  }
  return "refused";
}

struct promote_reply {
  refusal refused = refusal::none; // busy while another promote/demote or a copy runs
  std::string error;
  std::string role;
  std::vector<std::string> ready;
  std::vector<std::string> unsafe;
  std::map<std::string, std::string> reasons;  // unsafe slot → why
  std::map<std::string, pg::lsn> advanced; // slot → its position after the final advance
  std::optional<handover_report> handover;
};

// GET /final-positions (a stopped old primary's last slot positions).
struct final_positions_reply {
  refusal refused = refusal::none;
  std::string error;
  std::string name;          // this node
  std::string cluster_state; // pg_controldata's ("shut down" after a clean shutdown)
  bool clean_shutdown = false;
  std::optional<pg::lsn> checkpoint_lsn;
  model::final_positions slots;
  wall_clock::time_point as_of{};
};

struct demote_request {
  std::string leader;
};

struct demote_reply {
  refusal refused = refusal::none; // bad_request: unknown member; busy
  std::string error;
  std::string role;
  std::string leader;
};

// Demote: follow `leader` (from promote_handler to the HA loop).
struct follow_order {
  std::string leader;
};

struct cluster_update_request {
  config::cluster_update update;
  // Who sends it, for the log and the audit trail: the API, or the members
  // reader of members_from (the only sender allowed to set members then).
  std::string source = "PUT /cluster";
};

// members_from: the members reader's standing, sent to the HA loop when it
// changes (an empty `error` once reads and updates are good again).
struct members_source_report {
  std::string error;                                   // of the last read or update
  std::optional<wall_clock::time_point> failing_since; // since when they fail
};

struct cluster_update_reply {
  refusal refused = refusal::none;
  std::string error;
  model::cluster_view view; // the new view
};

struct pause_request {
  bool paused = true;
};

// SIGHUP: the configuration file read again (cluster-view keys set by
// PUT /cluster stay in force).
struct config_reload {
  config::config cfg;
};

// GET /events?since=SEQ: the audit events after `since` (pg/model/audit.hpp).
struct events_request {
  std::uint64_t since = 0;
};

struct events_reply {
  std::string node;
  std::string run; // this agent run (its start time): `since` counts in it
  std::vector<model::audit_event> events;
  std::uint64_t next = 0;   // `since` for the next request
  std::uint64_t missed = 0; // events after `since` no longer kept
};

// An actor's state for GET /state: a JSON tree (the dump has no fixed
// shape; it is for people and tools that read JSON).
struct dump_reply {
  std::string name;
  nlohmann::json state;
};

// ------------------------------------------------------------------ api

// What the HTTP API asks the api gateway (one alternative per endpoint
// group); the gateway turns it into typed requests with finite timeouts.
enum class api_read { state, status, readiness, candidate, final_positions, health, metrics };
struct api_command {
  std::variant<api_read, promote_request, demote_request, cluster_update_request, pause_request, events_request> what;
};

// A command the agent could not answer: a part did not reply in time, or
// is gone.
struct api_failure {
  refusal refused = refusal::unavailable;
  std::string message;
};

// GET /state: every actor's dump, by actor name.
struct state_reply {
  nlohmann::json dumps;
};

// The gateway's answer to an api_command: the typed reply of the actor that
// answered (app/api renders it), or why there is none.
using api_answer = std::variant<api_failure, status_view, readiness_view, health_view, candidate_view, metrics_view,
                                final_positions_reply, promote_reply, demote_reply, cluster_update_reply,
                                events_reply, state_reply>;

// From the HTTP server (on the I/O thread): run `command`, then call `done`
// exactly once with the answer. `done` runs in the gateway actor (on the
// agent's I/O thread, or another thread when the HTTP server has its own
// io_context, as in tests) and must hand the answer back to the server's
// io_context itself (app/api/http_server.cpp posts it there).
struct api_call {
  api_command command;
  std::function<void(api_answer)> done;
};

} // namespace slotd::actors

CAF_BEGIN_TYPE_ID_BLOCK(slotd, caf::first_custom_type_id)
CAF_ADD_ATOM(slotd, slotd::actors, tick_atom, "tick")
CAF_ADD_ATOM(slotd, slotd::actors, dump_atom, "dump")
CAF_ADD_ATOM(slotd, slotd::actors, snapshot_atom, "snapshot")
CAF_ADD_ATOM(slotd, slotd::actors, clean_atom, "clean")
CAF_ADD_ATOM(slotd, slotd::actors, retry_atom, "retry")
CAF_ADD_ATOM(slotd, slotd::actors, status_atom, "status")
CAF_ADD_ATOM(slotd, slotd::actors, ready_atom, "ready")
CAF_ADD_ATOM(slotd, slotd::actors, health_atom, "health")
CAF_ADD_ATOM(slotd, slotd::actors, promote_atom, "promote")
CAF_ADD_ATOM(slotd, slotd::actors, actors_atom, "actors")
CAF_ADD_ATOM(slotd, slotd::actors, metrics_atom, "metrics")
CAF_ADD_ATOM(slotd, slotd::actors, stop_atom, "stop")
CAF_ADD_ATOM(slotd, slotd::actors, cancel_atom, "cancel")
CAF_ADD_ATOM(slotd, slotd::actors, facts_atom, "facts")
CAF_ADD_ATOM(slotd, slotd::actors, candidate_atom, "candidate")
CAF_ADD_ATOM(slotd, slotd::actors, final_atom, "final")
CAF_ADD_ATOM(slotd, slotd::actors, standby_snapshot_atom, "sbysnap")
CAF_ADD_ATOM(slotd, slotd::actors, details_atom, "details")
CAF_END_TYPE_ID_BLOCK(slotd)

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::io_done)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::local_snapshot)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::slot_details_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::local_actions)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::local_actions_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::action_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::leader_target)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::leader_snapshot)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::fetch_slot_files)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::fetched_slot_files)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::copy_order)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::local_facts)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::copy_report)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::copy_created)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::advance_targets)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::advance_report)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::final_advance_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::final_advance_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::create_logical_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::promote_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::promote_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::demote_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::demote_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::follow_order)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::cluster_update_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::cluster_update_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::members_source_report)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::status_view)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::readiness_view)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::candidate_view)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::metrics_view)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::final_positions_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::health_view)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::pause_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::dump_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::events_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::events_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::config_reload)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::api_command)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::api_answer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::api_call)
