#pragma once
// PostgreSQL 17+ native failover slots (docs/slot-rules.md §4.8): permanent
// logical slots declared `failover: true` are created with the failover flag
// on the primary and kept on the replicas by PostgreSQL's own slotsync
// worker, not by slotd's copy and advance. slotd's part on the replica is to
// say what keeps slotsync from working and when a synced slot is usable; on
// the primary it keeps `synchronized_standby_slots` naming the physical slots
// of the replicas that may take over, so that no logical consumer gets ahead
// of them.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pg/model/cluster_view.hpp"

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

// The slots to set on a primary of major `server_major` whose current value
// is `current` (synchronized_standby_slot_names), or nullopt when nothing is to be done: before 17, without
// failover permanent slots, when the current value is unknown, or when it
// already lists the same slots (order and spaces do not matter).
std::optional<std::vector<std::string>> synchronized_standby_slots_change(const cluster_view& view, std::string_view my_name,
                                                             int server_major,
                                                             const std::optional<std::string>& current);

} // namespace slotd::model
