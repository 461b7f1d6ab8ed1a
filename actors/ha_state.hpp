#pragma once
// The HA loop's state: what it was told, what it last observed, the slot
// model's state between cycles, the copy in progress, counters for status
// and metrics. Only the HA loop actor touches it.
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <caf/actor_clock.hpp>
#include <caf/error.hpp>
#include <nlohmann/json.hpp>

#include "actors/ha_settings.hpp"
#include "actors/json_text.hpp"
#include "actors/interfaces.hpp"
#include "actors/view_json.hpp"
#include "config/cluster_update.hpp"
#include "pg/model/audit.hpp"
#include "pg/model/candidate.hpp"
#include "pg/model/copy_settle.hpp"
#include "pg/model/error_kind.hpp"
#include "pg/model/readiness.hpp"
#include "pg/model/readiness_recheck.hpp"
#include "pg/model/slot_figures.hpp"
#include "pg/model/wal_guard.hpp"
#include "pg/model/slot_plan.hpp"

namespace slotd::actors {

class io_runtime;

struct error_entry {
  wall_clock::time_point at;
  model::error_kind kind = model::error_kind::local;
  std::string slot;
  std::string text;
};

// Full-cycle durations for the slotd_loop_cycle_duration_seconds
// histogram: counts per bucket (the last one past every bound) and the sum.
struct duration_histogram {
  static constexpr std::array<double, 10> bounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5};
  std::array<std::uint64_t, bounds.size() + 1> counts{};
  double sum = 0;
  void observe(double seconds) {
    std::size_t i = 0;
    while (i < bounds.size() && seconds > bounds[i])
      ++i;
    ++counts[i];
    sum += seconds;
  }
};

struct ha_state {
  ha_state() = default;

  ha_settings settings;
  // The loop's steady time: the actor system's clock (the wall's steady
  // clock in slotd, virtual in the loop's tests). Read it with ha_now.
  const caf::actor_clock* clock = nullptr;
  model::cluster_view view;           // running view: config, then PUT /cluster
  config::cluster_update view_overrides; // what PUT /cluster set (kept over SIGHUP)
  bool paused = false;

  // What the HA manager said (or role auto inferred); nullopt: not known yet.
  std::optional<model::told_role> told;
  std::optional<std::string> leader;
  // Who told the role: nobody yet, a promote/demote message, or role: auto.
  enum class role_teller { none, message, automatic };
  role_teller role_source = role_teller::none;

  io_runtime* io = nullptr;
  local_connection_actor local;
  leader_connection_actor leader_conn;
  std::map<std::string, advance_worker_actor> workers; // by database
  // members_from: repmgr: the reader of repmgr.nodes, and whether its first
  // members are still awaited (nothing is planned until they are in force:
  // with no members, every member slot would look unknown and be dropped).
  members_reader_actor members_reader;
  bool members_awaited = false;
  // Its last report: why reading or handing over the members fails, and
  // since when (empty: they don't).
  members_source_report members_source;
  std::uint64_t worker_failures = 0; // workers that ended abnormally (each started again when needed)

  // Ticks: a full cycle every loop_wait (or at once after a message); on a
  // replica, samples of the leader in between, every sample_delay. Each
  // tick schedules the next one; `epoch` numbers them, and a tick that is
  // not the last one scheduled is dropped (delayed_send cannot be cancelled).
  std::uint64_t epoch = 0;
  std::chrono::milliseconds sample_delay{0};
  std::uint64_t samples = 0;       // leader samples, in full cycles or between them
  std::uint64_t samples_moved = 0; // of which showed the leader's logical slots moved
  std::optional<std::chrono::steady_clock::time_point> leader_moved_at; // the last of those
  // The last plan left a copy below the leader's position (or the local
  // server could not be read): samples read the local server until not.
  bool copies_behind = false;
  bool tick_running = false;
  bool full_cycle_due = true;
  std::chrono::steady_clock::time_point last_full_cycle{};
  std::uint64_t cycles = 0;      // full cycles
  std::uint64_t ticks = 0;       // all ticks
  std::chrono::microseconds last_cycle_duration{0};
  std::chrono::microseconds max_cycle_duration{0};
  std::chrono::microseconds total_cycle_duration{0}; // all full cycles, for averages
  duration_histogram cycle_durations;
  std::chrono::steady_clock::time_point tick_started{};
  wall_clock::time_point last_cycle_end{};

  // The tick's requests (snapshots, slot actions) carry no CAF timeout:
  // each would set an entry on CAF's clock thread that wakes it, and later
  // the loop, for nothing: on an idle agent, the largest share of its
  // wake-ups. A tick has one request outstanding at a time (ha_steps.hpp
  // cycle_request); a watchdog message (ha_cycle.cpp) gives it up after
  // request_timeout, and a reply to a request given up is dropped.
  struct cycle_wait {
    std::uint64_t id = 0;
    std::chrono::steady_clock::time_point since{};
    std::function<void(caf::error&)> give_up; // the request's failure continuation
  };
  std::optional<cycle_wait> waiting;
  std::uint64_t cycle_requests = 0; // numbers them
  std::uint64_t requests_given_up = 0;
  bool watchdog_armed = false; // one watchdog message at a time

  // Observations.
  std::optional<local_snapshot> local_snap; // last reachable
  std::string local_error;                  // last failure ("" when fine)
  std::optional<leader_snapshot> leader_snap; // last reachable
  model::position_history leader_positions;   // its logical slots over time (lag in seconds)
  std::string leader_error;
  std::string server_started_at;
  // Per-slot figures for operators (pg/model/slot_figures.hpp): each local
  // slot's movement and use across snapshots, and the details read after
  // each full cycle.
  model::slot_watch slot_watch;
  // Retention drops (§3.13 rule 8) count a slot's inactivity from here at
  // the earliest: set when this node becomes primary, when the local server
  // (re)starts or answers again, after a gap between local snapshots (a
  // clock step, a suspended host), and at resume, reload, PUT /cluster,
  // promote and demote. Consumers get inactive_for from each of those.
  std::optional<wall_clock::time_point> inactivity_floor;
  slot_details_reply slot_details;
  // The WAL-retention guard (pg/model/wal_guard.hpp): the most WAL kept by
  // a slot over time, taken after each full cycle, and the free space on
  // pg_wal's file system, read after a full cycle at most every
  // wal_free_probe_interval.
  model::wal_usage_history wal_usage;
  std::optional<std::uint64_t> wal_free_bytes;
  std::string wal_free_error;
  // The figures read with this full cycle's snapshot, taken when it ends.
  std::optional<slot_details_reply> cycle_details;
  // A statvfs of pg_wal runs on the probe thread since then (a hung file
  // system must not hold the loop).
  std::optional<std::chrono::steady_clock::time_point> wal_space_since;
  // When the last statvfs of pg_wal was started, and how many were.
  std::optional<std::chrono::steady_clock::time_point> wal_space_probed_at;
  std::uint64_t wal_space_probes = 0;
  // 17+ primary: time with some failover-capable replica left out of
  // synchronized_standby_slots.
  model::reduced_protection_clock reduced_protection;
  // 17+ primary: since when each failover-capable replica has not streamed.
  model::not_streaming_times not_streaming;
  // 17+ replica: whether it stopped streaming while its leader was alive,
  // from the local snapshot and the leader sample (steady receive times).
  model::stream_watch stream_watch;
  std::chrono::steady_clock::time_point local_seen_at{};
  std::chrono::steady_clock::time_point leader_answered_at{};

  // Slot model state between cycles.
  model::node_role role = model::node_role::replica;
  model::desired_set desired;
  std::optional<std::string> desired_leader; // the leader `desired` was computed with
  model::retention_state retention;
  model::recopy_limiter recopies;
  model::copy_retry copy_retry; // the pause after copies that installed nothing
  std::optional<std::chrono::steady_clock::time_point> copy_due_at; // a full cycle for a copy waiting on it
  // One restart per burst (pg/model/copy_settle.hpp): the slots a copy
  // needs and since when, the end of the last copy's restart, and what the
  // next copy waits for.
  model::settling_slots settling;
  std::optional<std::chrono::steady_clock::time_point> last_restart_end;
  model::copy_settle_decision settle;
  // copy_method auto on 16: the copies that wait to see whether a consumer
  // uses the leader's slot (pg/model/copy_method.hpp, leader_slot_use_of).
  std::vector<std::string> undecided_copies;
  // Copies by creation (copy_method create): the slots ordered from the
  // copier and not answered yet, each until when its answer is awaited (a
  // creation whose copier ended runs on in its advance worker; it is
  // forgotten only after the creation's budget).
  std::map<std::string, std::chrono::steady_clock::time_point> creating;
  std::vector<std::string> recopy_requests;
  std::set<std::string> recopy_refused;
  model::readiness_queue readiness;
  // docs/slot-rules.md §1.6 (pg/model/readiness_recheck.hpp): the facts
  // whose change rebuilds the readiness queue, as last seen, and the
  // counters of the orders among them. `rebuild_readiness`: a rebuild for
  // another cause (a copy's creation that may finish unseen).
  std::optional<model::recheck_facts> recheck_seen;
  std::uint64_t demotes = 0;
  std::uint64_t resumes = 0;
  bool rebuild_readiness = false;
  // slot → since when it waits to be proven safe (its copy, or following a
  // new leader); and how long the last wait took.
  std::map<std::string, wall_clock::time_point> pending_since;
  std::map<std::string, double> ready_after_seconds;
  std::vector<model::diagnostic> diagnostics;

  // Copies (done by the slot copier, which reports every phase).
  slot_copier_actor copier;
  bool copying = false;    // a copy is under way (fetching or restarting)
  bool restarting = false; // the server is stopped for a copy, or being started again
  bool server_down = false; // a start after a copy failed: retried with backoff
  copy_report copy;        // the copier's last report
  std::vector<std::string> copy_recopies; // re-copies in the copy under way
  std::map<std::string, std::string> copy_causes; // why each slot of the copy under way is copied
  // The copy totals: the copier's, from its last report, plus those of
  // copiers that ended (a new one counts from zero).
  copier_counts copier_now, copiers_ended;
  copier_counts copy_totals() const {
    auto t = copiers_ended;
    t.copies += copier_now.copies;
    t.created += copier_now.created;
    t.restarts += copier_now.restarts;
    t.failures += copier_now.failures;
    for (auto& [slot, n] : copier_now.restarts_by_slot)
      t.restarts_by_slot[slot] += n;
    return t;
  }
  std::string last_copy;

  bool promote_in_progress = false;
  // Numbers promotes; a demote or a new promote moves it on, and a promote
  // step that comes back under an older number is dropped.
  std::uint64_t promote_generation = 0;

  // The audit trail (pg/model/audit.hpp, ha_audit.cpp): the newest events
  // (GET /events) and the advances being summed up per slot. The file is
  // settings.audit_out.
  model::audit_ring audit;
  model::advance_digest advance_digest;
  std::string audit_run; // the HA loop's start time

  // Errors, for status, metrics and the dump.
  std::deque<error_entry> errors;
  std::map<model::error_kind, std::uint64_t> errors_by_kind;
  std::map<std::string, std::chrono::steady_clock::time_point> log_limits;

  const std::string& my_name() const { return settings.cfg.name; }
};

// The last leader sample when it is of the leader this node follows
// (answered or not; after a leader change the last sample may still be the
// previous leader's), else null.
inline const leader_snapshot* followed_leader_sample(const ha_state& st) {
  return st.leader_snap && st.leader && st.leader_snap->leader == *st.leader ? &*st.leader_snap : nullptr;
}

// The local server's major version (0 before the first snapshot).
inline std::chrono::steady_clock::time_point ha_now(const ha_state& st) {
  return st.clock ? st.clock->now() : std::chrono::steady_clock::now();
}

inline int server_major(const ha_state& st) { return st.local_snap ? st.local_snap->server_version / 10000 : 0; }

// Primary or promoting: this node holds the lead.
inline bool holds_lead(const ha_state& st) {
  return st.role == model::node_role::primary || st.role == model::node_role::promoting;
}

// 17+ synchronized_standby_slots (ha_standby_slots.cpp): after each local
// snapshot, the primary's clock of reduced protection; on a replica, whether
// its leader's setting leaves it out; the /status part, alerts added to
// `alerts` (nothing when failover slots are not in use).
void observe_standby_slots(ha_state& st);
void observe_streaming(ha_state& st); // after each local snapshot and each answered leader sample
// A replica: why its leader's setting does not protect it ("" when it does
// or no such rule: model::standby_protection_gap).
std::string protection_gap_here(const ha_state& st);
std::optional<bool> standby_listed_here(const ha_state& st); // a replica: listed by its leader; none: unknown
void standby_slots_into(const ha_state& st, failover_view& out, std::vector<alert>& alerts);

// The audit trail (ha_audit.cpp): record an event of this node, in the ring
// and the file; an advance through the per-slot summary; the summaries due
// (every tick); a page of GET /events.
void audit(ha_state& st, model::audit_action action, std::string actor, std::string slot,
           std::optional<pg::lsn> before, std::optional<pg::lsn> after, std::string_view rule, std::string detail);
void audit_advance(ha_state& st, std::string_view actor, const std::string& slot, std::optional<pg::lsn> before,
                   pg::lsn after, std::string_view rule);
void audit_due_advances(ha_state& st);
// What added up for `slot` (before it is dropped, replaced or moved by a
// promote), or for every slot (shutdown, role change), as events now.
void audit_flush(ha_state& st, const std::string& slot);
void audit_flush_all(ha_state& st);
// The events of the local connection's slot actions, and of a copy's report.
void audit_local_outcome(ha_state& st, const local_actions& done, const action_outcome& o);
void audit_copy_report(ha_state& st, const copy_report& r);
// The server running again after a failed start (a copy's, or an
// interrupted copy's at agent start).
void audit_server_back(ha_state& st, const copy_report& r);
// The local slot's position (confirmed_flush_lsn, or restart_lsn if
// physical) in the last local snapshot.
std::optional<pg::lsn> local_position(const ha_state& st, const std::string& slot);
events_reply events_since(const ha_state& st, std::uint64_t since);
// For the dump: the last event number, the run, the file and its lines dropped.
nlohmann::json audit_dump(const ha_state& st);

// What the HA loop shows (actors/views.hpp; ha_report.cpp): typed values
// that app/api renders. The state dump is JSON.
status_view status_of(const ha_state& st);
readiness_view readiness_of(const ha_state& st);
candidate_view candidate_of(const ha_state& st); // ha_candidate.cpp
health_view health_of(const ha_state& st);
metrics_view metrics_of(const ha_state& st);     // ha_metrics.cpp
nlohmann::json dump_json(const ha_state& st);
// Per-slot figures of the visible local slots (pg/model/slot_figures.hpp).
std::vector<model::slot_figures> slot_figures_of(const ha_state& st);
// Whether a local logical slot is failover-ready here (a primary's always are).
bool slot_ready_here(const ha_state& st, const std::string& name);
// The WAL-retention guard's verdict (pg/model/wal_guard.hpp), and as
// /status shows it, with its alerts added to `alerts` (ha_slot_report.cpp).
model::wal_guard_verdict wal_guard_of(const ha_state& st);
wal_guard_view wal_guard_view_of(const ha_state& st, std::vector<alert>& alerts);
// Seconds since the newest sample of the leader's slots (replica), or none.
std::optional<double> leader_sample_age(const ha_state& st);
std::string role_name(const ha_state& st);
// What /readiness, /candidate and /status judge by.
model::slot_cache visible_local_slots(const ha_state& st);
std::vector<model::slot_verdict> desired_verdicts(const ha_state& st); // permanent logical slots
model::node_readiness node_readiness_of(const ha_state& st);

} // namespace slotd::actors
