#pragma once
// One cycle of slot reconciliation as a pure function (docs/slot-rules.md
// §1.3): from what the cluster should look like and what the local server
// has, the exact list of drops, creates, advances and copies to perform. The
// actors perform the plan (each action isolated, docs/slot-rules.md Q2) and
// feed the outcome back as the next cycle's input.
//
// Order for the performer: drops first (in plan order), then the rest. Every
// create, copy or advance of a name that is also dropped in the plan assumes
// the drop succeeded: skip it when the drop did not happen (the slot became
// active since it was read; slots read as active are never planned for a
// drop, the plan says so in a diagnostic instead).
//
// Cache semantics (docs/slot-rules.md §5.2.2, decided): slotd reads
// pg_replication_slots every cycle and passes it as `local`; Patroni's
// "cache = desired set" delay does not exist here, so an unknown slot is
// dropped at the next cycle (unless ignored, active, or paused).
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pg/model/advance_errors.hpp"
#include "pg/model/cluster_view.hpp"
#include "pg/model/desired_slots.hpp"
#include "pg/model/diagnostic.hpp"
#include "pg/model/failover_slots.hpp"
#include "pg/model/local_slot.hpp"
#include "pg/model/retention.hpp"
#include "pg/model/role.hpp"
#include "pg/types/lsn.hpp"

namespace slotd::model {

// docs/slot-rules.md Q8: creating a slot waits for running transactions; it
// gets its own statement budget instead of the 2 s default (the actors apply
// it).
inline constexpr std::chrono::seconds slot_creation_budget{60};

struct cycle_input {
  cluster_view view;
  std::string my_name;
  // The leader this node follows (from `demote {leader}` or role auto);
  // ignored when told primary: then the leader is me.
  std::optional<std::string> leader;
  told_role told = told_role::replica;
  bool in_recovery = true; // pg_is_in_recovery() of the local server
  int server_major = 15;
  bool paused = false;
  slot_cache local; // the local pg_replication_slots as read this cycle
  // Replica: the leader's published positions (positions_of over the
  // leader's pg_replication_slots, with the leader's current WAL LSN under
  // its member slot name). On a primary/promoting node the positions are its
  // own slots' and this field is not read.
  slot_positions leader_positions;
  std::optional<pg::lsn> replay_lsn; // local pg_last_wal_replay_lsn(); nullopt = unknown
  // Primary: pg_current_wal_lsn(), for the WAL a slot keeps (retention
  // action drop_inactive); nullopt = unknown (nothing dropped for it).
  std::optional<pg::lsn> current_lsn;
  // Primary: how long each local slot has been seen inactive
  // (inactive_durations); a slot not listed is active or not known.
  std::map<std::string, std::chrono::milliseconds> inactive_for;
  // Slots the advance workers reported for a re-copy (classify_advance_error).
  std::vector<std::string> recopy_requests;
  time_point now{};
  retention_state retention;
  recopy_limiter recopies;
  // 17+ primary: current_setting('synchronized_standby_slots'); nullopt =
  // not read (before 17, or on a replica).
  std::optional<std::string> synchronized_standby_slots;
  // 17+ primary: its walsenders by physical slot, failover_slots'
  // min_standbys and leave_out_after, and since when each replica has not
  // streamed (standby_slots_input).
  std::optional<std::map<std::string, std::string>> standby_senders;
  int min_standbys = 1;
  std::chrono::milliseconds leave_out_after{30000};
  not_streaming_times not_streaming;
  // 17+: the local logical failover slots, the synced ones included (`local`
  // hides those). A primary promoted from a standby keeps PostgreSQL's synced
  // slots and uses them as they are: they are not created again.
  std::vector<failover_slot_state> failover_slots;
};

enum class drop_reason {
  unknown,             // §3.13 rule 1: not desired
  wal_status_lost,     // §3.13 rule 2: desired but wal_status = lost (13+)
  value_changed,       // §3.13 rule 3: type / database / plugin changed
  xmin_on_inactive,    // §3.13 rule 4: inactive physical slot holding xmin
  no_restart_lsn,      // §3.13 rule 5: physical slot never reserved WAL
  failover_not_synced, // §3.13 rule 6: 17+, standby following another leader
  retention_limit,     // §3.13 rule 8: primary, inactive at its retention limit, action drop_inactive
};

std::string_view to_string(drop_reason r);

struct drop_action {
  std::string name;
  drop_reason reason = drop_reason::unknown;
  friend bool operator==(const drop_action&, const drop_action&) = default;
};

struct physical_advance {
  std::string name;
  pg::lsn target;
  friend bool operator==(const physical_advance&, const physical_advance&) = default;
};

struct logical_create {
  std::string name;
  std::string database;
  std::string plugin;
  bool failover = false; // only ever true on 17+
  friend bool operator==(const logical_create&, const logical_create&) = default;
};

// database → slot → target, for the per-database advance workers.
using logical_advance_map = std::map<std::string, std::map<std::string, pg::lsn>>;

struct plan {
  node_role role = node_role::replica;
  desired_set desired;
  std::vector<drop_action> drops;
  std::vector<std::string> physical_creates;
  std::vector<physical_advance> physical_advances;
  std::vector<logical_create> logical_creates; // primary only
  logical_advance_map logical_advances;        // replica only
  std::vector<std::string> logical_copies;     // replica only, from the leader
  // The copies above that replace a local copy (re-copies): the caller
  // records them in its recopy_limiter once the copy has stopped the server.
  std::vector<std::string> logical_recopies;
  // Primary, 17+, failover permanent slots configured: the new value of
  // synchronized_standby_slots (slot names) when it differs
  // (failover_slots.hpp). Set also while paused: it drops nothing, and a
  // stale list would name gone members (the consumers of failover slots then
  // wait for a slot that never confirms).
  std::optional<std::vector<std::string>> synchronized_standby_slots;
  std::vector<diagnostic> diagnostics;
  retention_state retention; // next cycle's input
};

// docs/slot-rules.md §1.3 with slotd's role safety and pause:
// - role_mismatch (told replica, not in recovery): nothing at all;
// - promoting (told primary, in recovery): no xmin drops, no copies, no
//   logical creates (the server cannot yet);
// - paused: nothing is dropped (pass 1, pass 2 and the physical drops —
//   stricter than Patroni, whose pass 2 ignores pause, §5.2.3) and nothing
//   is copied; creates and advances go on.
plan plan_cycle(const cycle_input& in);

} // namespace slotd::model
