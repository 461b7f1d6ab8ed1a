#pragma once
// What an operator watches per slot (docs/api.md, GET /status "slots" and
// the slotd_slot_* metrics), computed from what slotd reads anyway:
// - how much WAL each slot holds back on this server, and how far a
//   logical slot's consumer is behind (bytes);
// - on a replica, how far each copy is behind the leader's slot, in bytes
//   and in seconds (lag_behind over the sampled leader positions);
// - since when the slot has not moved, and since when it has not been used
//   (PostgreSQL 17+ says so itself; before 17 slotd remembers when it last
//   saw the slot active);
// - the consumer of an active slot (application_name, client address,
//   backend start), from pg_stat_activity by active_pid.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pg/model/candidate.hpp"
#include "pg/model/local_slot.hpp"
#include "pg/types/lsn.hpp"

namespace slotd::model {

// One slot as slotd has watched it across snapshots of this server.
struct slot_watch_entry {
  std::optional<pg::lsn> position;      // confirmed_flush_lsn (logical) or restart_lsn (physical)
  sample_clock::time_point moved_at{};  // when `position` was first seen
  bool moved_seen = false;              // false: it has not moved since slotd first saw it
  bool active = false;
  std::optional<sample_clock::time_point> last_active; // last snapshot that saw it active
  friend bool operator==(const slot_watch_entry&, const slot_watch_entry&) = default;
};
using slot_watch = std::map<std::string, slot_watch_entry, std::less<>>;

// The watch after one snapshot of the server's slots taken at `at`: slots
// gone are forgotten, a new slot starts its clock at `at`, a changed
// position restarts it, an active slot stamps last_active.
slot_watch watch_slots(const slot_watch& previous, const slot_cache& slots, sample_clock::time_point at);

// How long each inactive slot of the watch has been seen inactive at `now`:
// since the last snapshot that saw it active, or since it was first seen
// (or last moved) when none did, and never from before `not_before` (when
// the node became primary: its consumers had no chance to attach before).
// Active slots are not listed.
std::map<std::string, std::chrono::milliseconds> inactive_durations(const slot_watch& watch,
                                                                    sample_clock::time_point now,
                                                                    std::optional<sample_clock::time_point> not_before);

// pg_replication_slots and pg_stat_activity details of one slot, read
// apart from the slot listing (once per full cycle).
struct slot_consumer {
  std::optional<std::string> application_name;
  std::optional<std::string> client_addr; // null: a Unix socket
  std::optional<sample_clock::time_point> backend_start;
  std::optional<std::string> backend_type; // "walsender", "client backend", ...
  friend bool operator==(const slot_consumer&, const slot_consumer&) = default;
};
struct slot_details {
  std::optional<int> active_pid;
  std::optional<std::int64_t> safe_wal_size;                // 13+; null when unlimited
  std::optional<sample_clock::time_point> inactive_since;   // 17+
  std::optional<slot_consumer> consumer;                    // an active slot's backend
  friend bool operator==(const slot_details&, const slot_details&) = default;
};
using slot_details_map = std::map<std::string, slot_details, std::less<>>;

struct slot_figures_input {
  const slot_cache* slots = nullptr;    // visible local slots
  std::optional<pg::lsn> head;          // current WAL (primary) or replay (standby)
  // The newest WAL in pg_wal: on a standby, WAL received but not replayed
  // yet is kept too (max of receive and replay); unset: `head`.
  std::optional<pg::lsn> wal_end;
  bool replica = false;                 // copies are measured against the leader
  const position_history* leader = nullptr; // the leader's sampled positions (replica)
  const slot_watch* watch = nullptr;
  const slot_details_map* details = nullptr;
  sample_clock::time_point now{};
};

struct slot_figures {
  std::string name;
  slot_type type = slot_type::physical;
  bool active = false;
  std::optional<std::uint64_t> retained_bytes;      // wal_end − restart_lsn
  std::optional<std::uint64_t> confirmed_lag_bytes; // head − confirmed_flush_lsn (logical)
  std::optional<lag> behind_leader;                 // replica, logical: nullopt when the leader's position is unknown
  std::optional<double> unmoved_seconds;            // since the position last changed
  bool unmoved_at_least = false;                    // it has not moved since slotd first saw it
  std::optional<double> inactive_seconds;           // inactive: since last seen active (or inactive_since)
  std::optional<sample_clock::time_point> last_active; // inactive: the later of 17+ inactive_since and slotd's last sight
  std::optional<std::string> wal_status;
  std::optional<std::int64_t> safe_wal_size;
  std::optional<slot_consumer> consumer;            // active only
  friend bool operator==(const slot_figures&, const slot_figures&) = default;
};

// Figures of every visible slot, by name order.
std::vector<slot_figures> compute_slot_figures(const slot_figures_input& in);

} // namespace slotd::model
