#pragma once
// docs/slot-rules.md §2.3.24: how a replica gets its copy of a leader's
// logical slot. `file`: the leader's slot state file, installed while the
// server is stopped (one restart, §2.3.21). `create`: PostgreSQL 16's
// logical decoding on a standby creates the slot in place, no restart; the
// copy then starts where the replica is, possibly past the leader slot's
// confirmed_flush_lsn, and is not failover-ready until the leader's slot has
// passed it (copy_ahead_of_leader, as PostgreSQL 17's slotsync keeps its
// copy temporary until then).
#include <optional>
#include <string>
#include <string_view>

#include "pg/model/local_slot.hpp"

namespace slotd::model {

// postgresql.copy_method. `automatic` ("auto"): on 16, create when a
// consumer streams from the leader's slot (it confirms as the leader's WAL
// moves, so the leader's slot soon passes the new copy), the file copy when
// none does (a slot nobody consumes would keep a created copy ahead of it,
// unready, for as long); the file copy on 12–15 and on 17+ (where failover
// slots are PostgreSQL's own slotsync's and slotd copies only the others).
enum class copy_method_setting { automatic, file, create };
std::string_view to_string(copy_method_setting s);

enum class copy_method { file, create };
std::string_view to_string(copy_method m);

struct copy_method_choice {
  std::optional<copy_method> method; // nullopt: no copy (see refusal)
  std::string refusal;
  friend bool operator==(const copy_method_choice&, const copy_method_choice&) = default;
};

// The method for a slot on a replica whose server is `server_major` (0: not
// known yet, no copy); `leader_slot_active`: a consumer uses the leader's
// slot (leader_slot_consumed, last sample).
copy_method_choice choose_copy_method(copy_method_setting setting, int server_major, bool leader_slot_active);

// The leader's slot, as sampled, has a consumer: active, with a confirmed
// position, and seen at more than one position (`positions_seen`, the
// distinct positions sampled so far). A slot still being created on the
// leader, or just created, is active too (its creating backend holds it)
// and has not moved; nobody may ever consume it, and a copy created for it
// would stay ahead of it.
bool leader_slot_consumed(const local_slot& leader_slot, std::size_t positions_seen);

// A copy whose confirmed_flush_lsn is past the leader slot's (as last
// sampled: `leader` from positions_of) would let a consumer that resumes
// from it after a failover skip the changes in between. nullopt: not ahead
// (or the leader's position for it is not known); else the reason.
std::optional<std::string> copy_ahead_of_leader(const std::string& name, const local_slot& copy,
                                                const slot_positions& leader);

} // namespace slotd::model
