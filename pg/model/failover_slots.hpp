#pragma once
// PostgreSQL 17+ native failover slots (docs/slot-rules.md §4.8): permanent
// logical slots declared `failover: true` are created with the failover flag
// on the primary and kept on the replicas by PostgreSQL's own slotsync
// worker, not by slotd's copy and advance. slotd's part on the replica is to
// say what keeps slotsync from working and when a synced slot is usable; on
// the primary it keeps `synchronized_standby_slots` naming the physical slots
// of the replicas that may take over, so that no logical consumer gets ahead
// of them.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pg/model/cluster_view.hpp"
#include "pg/model/local_slot.hpp"

namespace slotd::model {

// True when at least one permanent logical slot is declared failover: true.
// slotd manages synchronized_standby_slots only then: without failover slots
// the setting is the operator's (it delays every failover slot's consumers,
// including ones slotd does not know about).
bool has_failover_permanent_slots(const cluster_view& view);

// A standby's settings that PostgreSQL's slotsync worker needs. nullopt /
// empty: unset (or not readable).
struct standby_sync_settings {
  std::optional<bool> sync_replication_slots;
  std::optional<bool> hot_standby_feedback;
  std::string primary_slot_name;
  std::string primary_conninfo_dbname; // the dbname in primary_conninfo
  friend bool operator==(const standby_sync_settings&, const standby_sync_settings&) = default;
};

// The names of the missing prerequisites, in this order:
// "sync_replication_slots", "hot_standby_feedback", "primary_slot_name",
// "primary_conninfo.dbname". Empty: slotsync can run.
std::vector<std::string> missing_sync_prerequisites(const standby_sync_settings& s);

// A failover slot as the replica reports it (pg_replication_slots, 17+).
struct failover_slot_state {
  std::string name;
  bool synced = false;
  bool temporary = false;
  std::optional<std::string> invalidation_reason;
  friend bool operator==(const failover_slot_state&, const failover_slot_state&) = default;
};

// A synced slot can be used after a promotion when it is synced,
// no longer temporary (slotsync keeps a new slot temporary until the
// primary's slot has moved past the standby's oldest WAL and catalog xmin)
// and not invalidated.
bool is_failover_slot_ready(const failover_slot_state& s);

// 17+: a permanent logical slot declared failover is PostgreSQL's to keep
// on the replicas (slotsync), not slotd's to copy: its readiness is the
// sync state, not slotd's readiness queue.
bool is_native_failover_slot(slot_type type, bool failover, int server_major);

// Whether a local logical slot is failover-ready on this node:
// - on a node that holds the lead, always (its slots are its own);
// - a native failover slot, by PostgreSQL's sync state (`sync_state`,
//   null when the slot is not there: not ready);
// - any other, when the readiness queue holds no pending proof for it.
bool is_local_logical_slot_ready(bool holds_lead, bool native_failover, const failover_slot_state* sync_state,
                                 bool proof_pending);

// The physical slots on the primary `my_name` of its failover-capable
// replicas: members other than me that stream from me through their own slot
// (topology: not nostream, not cascading from another member) and are not
// nofailover (a node that never becomes primary needs no synced slots, and
// waiting for it would only delay the consumers). Only members of the view:
// a member that is gone is never listed, even while its retained slot lives.
// Sorted, without duplicates; names that are not valid slot names are left
// out (they could not be slots, and they go into a SQL literal). Empty when
// the view does not use slots.
std::vector<std::string> synchronized_standby_slot_names(const cluster_view& view, std::string_view my_name);

// The setting's value for those names: comma-separated, no spaces.
std::string synchronized_standby_slots_value(const std::vector<std::string>& names);

// Since when each failover-capable replica of the primary `my_name` has not
// streamed, as the primary has seen it: kept from `before`, `now` for a
// newly seen one, gone once it streams (and for non-candidates).
using not_streaming_times = std::map<std::string, std::chrono::steady_clock::time_point>;
not_streaming_times track_not_streaming(const not_streaming_times& before, const cluster_view& view,
                                        std::string_view my_name, const std::map<std::string, std::string>& senders,
                                        std::chrono::steady_clock::time_point now);

// The primary's standbys as it sees them this cycle (17+).
struct standby_slots_input {
  // current_setting('synchronized_standby_slots'); nullopt = not read.
  std::optional<std::string> current;
  // Physical slots with a walsender attached → that walsender's state
  // (pg_stat_replication.state: "streaming", "catchup", ...); nullopt = not read.
  std::optional<std::map<std::string, std::string>> senders;
  // failover_slots.min_standbys: how many replicas stay listed when fewer
  // stream (0: none; the consumers then wait for nobody).
  int min_standbys = 1;
  // failover_slots.leave_out_after: a listed replica stays listed this long
  // after it stopped streaming (track_not_streaming), so that its own agent
  // reports it not ready before the consumers may pass it.
  std::chrono::milliseconds leave_out_after{30000};
  not_streaming_times not_streaming;
  std::chrono::steady_clock::time_point now{};
};

// The setting slotd wants on the primary `my_name`, and why (§4.8).
struct standby_slots_choice {
  std::vector<std::string> listed;       // sorted: the setting's value
  std::vector<std::string> streaming;    // failover-capable replicas streaming now
  std::vector<std::string> kept_waiting; // listed although not streaming (grace or min_standbys)
};

// Lists the failover-capable replicas (synchronized_standby_slot_names) whose
// walsender is streaming, and the ones listed now that stopped streaming
// less than leave_out_after ago: one that is down, or still catching up,
// holds no consumer back for longer. When fewer than `min_standbys` are
// listed so, replicas not streaming are kept too up to that number,
// preferring one listed now (the consumers have waited for it: it has what
// they saw), then one whose walsender is attached (catching up), then by
// name: the consumers then wait for it instead of getting ahead of every
// standby (the `ANY N` that the setting lacks).
standby_slots_choice choose_synchronized_standby_slots(const cluster_view& view, std::string_view my_name,
                                                       const standby_slots_input& in);

// The slots to set on a primary of major `server_major`
// (choose_synchronized_standby_slots), or nullopt when nothing is to be
// done: before 17, without failover permanent slots, when the current value
// or the walsenders are unknown, or when it already lists the same slots
// (order and spaces do not matter).
std::optional<std::vector<std::string>> synchronized_standby_slots_change(const cluster_view& view,
                                                                          std::string_view my_name, int server_major,
                                                                          const standby_slots_input& in);

// The failover-capable replicas of `leader` that `value` (the setting in
// force on it) does not list: logical consumers may be ahead of them.
// Sorted; empty when `value` is unknown.
std::vector<std::string> standby_slots_left_out(const cluster_view& view, std::string_view leader,
                                                const std::optional<std::string>& value);

// What a 17+ replica knows of its protection by its leader's
// synchronized_standby_slots.
// A replica's evidence that it does not stream from its leader, or "": its
// WAL receiver's status (pg_stat_wal_receiver.status; nullopt: no receiver;
// "hidden": the role may not see it, no evidence) is not "streaming", or the
// leader's last sample shows the replica's slot `my_slot` there but
// inactive (the leader's walsender is gone: a half-open connection).
std::string not_streaming_evidence(const std::optional<std::string>& wal_receiver, const slot_cache& leader_slots,
                                   std::string_view my_slot);

// Whether a replica stopped streaming while its leader was alive: latched
// once there is evidence (not_streaming_evidence) and the leader answered
// after that evidence was read, kept while the evidence lasts even when the
// leader no longer answers (the leader may have left it out meanwhile),
// cleared once there is no evidence. A leader that stops answering as the
// replica stops streaming (it died) latches nothing.
struct stream_watch {
  std::string latched; // the evidence; empty: not latched
  friend bool operator==(const stream_watch&, const stream_watch&) = default;
};
stream_watch watch_streaming(const stream_watch& before, const std::string& evidence, bool leader_answered_since);

// What a 17+ replica knows of its protection by its leader's
// synchronized_standby_slots.
struct standby_protection_input {
  std::string my_name;
  std::string leader;
  int server_major = 0;
  // From the last sample of the leader (the caller gives none of a server
  // in recovery): the setting (nullopt: unknown), the slots, and the
  // largest confirmed_flush_lsn of its logical failover slots.
  std::optional<std::string> leader_value;
  slot_cache leader_slots;
  std::optional<pg::lsn> consumers_confirmed;
  std::string stopped_streaming; // stream_watch::latched
};

// Why the replica cannot count on its leader's synchronized_standby_slots
// (it is not ready: the consumers of failover slots may have, or soon get,
// changes it lacks), or "" when it can or the rule does not apply (before
// 17, no failover permanent slots, a replica never waited for). In order:
// - left out of the leader's setting;
// - it stopped streaming while the leader was alive (stream_watch): the
//   leader leaves it out after leave_out_after;
// - behind the consumers: in the same sample, the failover slots are
//   confirmed past this replica's slot's restart_lsn (what it has
//   flushed), as after it was left out.
std::string standby_protection_gap(const cluster_view& view, const standby_protection_input& in);

// How long a primary has run with some failover-capable replica left out of
// synchronized_standby_slots (slotd_reduced_protection_seconds_total).
class reduced_protection_clock {
public:
  using time_point = std::chrono::steady_clock::time_point;
  // Called with each snapshot: `reduced` is whether some replica is left out.
  void observe(bool reduced, time_point now);
  double seconds(time_point now) const; // in total, up to `now`
  bool reduced() const { return since_.has_value(); }

private:
  double total_ = 0;
  std::optional<time_point> since_;
};

} // namespace slotd::model
