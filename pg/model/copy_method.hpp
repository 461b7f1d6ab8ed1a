#pragma once
// docs/slot-rules.md §2.3.24: how a replica gets its copy of a leader's
// logical slot. `file`: the leader's slot state file, installed while the
// server is stopped (one restart, §2.3.21). `create`: PostgreSQL 16's
// logical decoding on a standby creates the slot in place, no restart; the
// copy then starts where the replica is, possibly past the leader slot's
// confirmed_flush_lsn, and is not failover-ready until the leader's slot has
// passed it (copy_ahead_of_leader, as PostgreSQL 17's slotsync keeps its
// copy temporary until then).
#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "pg/model/candidate.hpp"
#include "pg/model/local_slot.hpp"

namespace slotd::model {

// postgresql.copy_method. `automatic` ("auto"): on 16, create when the
// leader's slot has a consumer (it confirms as the leader's WAL moves, so the
// leader's slot soon passes the new copy), the file copy when it has none (a
// slot nobody consumes would keep a created copy ahead of it, unready, for
// as long); the file copy on 12–15 and on 17+ (where failover slots are
// PostgreSQL's own slotsync's and slotd copies only the others).
enum class copy_method_setting { automatic, file, create };
std::string_view to_string(copy_method_setting s);

enum class copy_method { file, create };
std::string_view to_string(copy_method m);

// Whether the leader's slot has a consumer, as its sampled positions tell
// (leader_slot_use_of).
enum class leader_slot_use { consumed, unused, undecided };

// How long auto on 16 watches a leader slot that has not moved before it
// takes it for unused: longer than the 10 s a walsender consumer may wait
// between two confirmations (wal_receiver_status_interval,
// pg_recvlogical --status-interval).
inline constexpr std::chrono::milliseconds consumer_patience{12000};

struct leader_slot_use_verdict {
  leader_slot_use use = leader_slot_use::undecided;
  std::chrono::milliseconds wait{0}; // undecided: how much longer to watch
  friend bool operator==(const leader_slot_use_verdict&, const leader_slot_use_verdict&) = default;
};

// The leader's slot as last sampled (`leader_slot`) and its confirmed
// positions over the samples (`history`: position_history's entry for it;
// nullptr when none). Unused: it has stayed at its current position for
// `patience` (nobody confirmed past it for that long, whoever holds it: a
// walsender whose consumer stalls would keep a created copy ahead too).
// Consumed: it moved to its current position less than `patience` ago
// (a consumer, streaming or polling, confirmed past where it was).
// Undecided: one position seen, for less than `patience` (a slot just
// created has not moved, like one whose consumer has not confirmed yet), or
// none sampled yet. A slot without a position (being created on the
// leader) counts as unused: a copy of it fails and backs off, and nothing
// waits for its creation, which may block for as long as a transaction
// runs there.
leader_slot_use_verdict leader_slot_use_of(const local_slot& leader_slot, const std::deque<position_seen>* history,
                                           std::chrono::milliseconds patience = consumer_patience);

struct copy_method_choice {
  std::optional<copy_method> method; // nullopt: no copy (see refusal), or not yet (wait)
  std::string refusal;
  bool wait = false; // auto on 16, the leader slot's use undecided: decide later
  friend bool operator==(const copy_method_choice&, const copy_method_choice&) = default;
};

// The method for a slot on a replica whose server is `server_major` (0: not
// known yet, no copy); `use`: how the leader's slot is used
// (leader_slot_use_of).
copy_method_choice choose_copy_method(copy_method_setting setting, int server_major, leader_slot_use use);

// A copy whose confirmed_flush_lsn is past the leader slot's (as last
// sampled: `leader` from positions_of) would let a consumer that resumes
// from it after a failover skip the changes in between. nullopt: not ahead
// (or the leader's position for it is not known); else the reason.
std::optional<std::string> copy_ahead_of_leader(const std::string& name, const local_slot& copy,
                                                const slot_positions& leader);

} // namespace slotd::model
