#pragma once
// docs/slot-rules.md §2.6: which server majors slotd supports and which
// columns and behaviours each one has. slotd supports 12..18, so everything
// Patroni gates on 11+ (`can_advance_slots`: advance, permanent slots on
// replicas, logical failover, retention) is always on.

namespace slotd::model {

inline constexpr int oldest_supported_major = 12;
inline constexpr int newest_supported_major = 18;

constexpr bool is_supported_major(int major) {
  return major >= oldest_supported_major && major <= newest_supported_major;
}

// PostgreSQL 13+: pg_replication_slots.wal_status; a desired slot whose
// wal_status is "lost" is dropped and recreated (docs/slot-rules.md §3.13
// rule 2).
constexpr bool has_wal_status(int major) { return major >= 13; }

// PostgreSQL 17+: failover/synced columns and native slot synchronisation.
constexpr bool has_failover_slots(int major) { return major >= 17; }

} // namespace slotd::model
