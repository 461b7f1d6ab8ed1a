#pragma once
// docs/slot-rules.md §1.2: how often a replica samples its leader's slot
// positions between full cycles, and when the HA loop ticks next. Like
// PostgreSQL 17's slotsync worker: sample fast while the leader's logical
// slots move, back off while they don't, snap back on the first change.
#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "pg/model/local_slot.hpp"
#include "pg/model/retention.hpp"

namespace slotd::model {

struct sampling_limits {
  std::chrono::milliseconds fastest{200};
  std::chrono::milliseconds slowest{5000};
};

// Whether the leader's logical slots differ between two samples: a slot
// appeared or went away, or its confirmed_flush_lsn, restart_lsn or
// catalog_xmin changed. Physical slots are left out: only full cycles act
// on them, and they move with any WAL the leader writes.
bool logical_slots_moved(const slot_cache& before, const slot_cache& after);

// Whether a replica's copies are behind the leader: a logical slot on the
// replica whose confirmed_flush_lsn is below the leader's published
// position for it (positions_of). While they are, every sample reads the
// local server and plans again, whether the leader moved or not: an advance
// that failed, or was held back by the replica's replay position, is sent
// again at the next sample rather than at the next full cycle.
bool copies_behind(const slot_cache& local, const slot_positions& leader);

// Whether a leader sample calls for the fastest pace next (docs/slot-rules.md
// §1.2): the leader's logical slots moved, now or less than `hold` ago (a
// consumer confirming every second moves its slot again before a doubling
// pace would find that move up to 0.8 s late); a copy
// is being created, or is
// behind the leader and waits for its advance; or copies wait to be proven
// safe (§2.3.20) and either the newest of them has waited less than
// `proof_patience` (hot_standby_feedback usually reaches the primary within
// a second or two), or the proof's input moved: the catalog_xmin of this
// node's physical slot on the leader. A proof that cannot complete (another
// slot on this node holds the feedback back, say a consumer that stopped)
// then waits at the backed-off pace instead of sampling five times a second
// for as long as it stays unproven.
struct sample_pace_input {
  bool leader_moved = false;
  // How long ago a sample last found the leader's logical slots moved; never: unset.
  std::optional<std::chrono::milliseconds> since_leader_moved;
  bool creating = false;
  bool copies_behind = false;
  // How long the newest copy still to be proven has waited; none pending: unset.
  std::optional<std::chrono::milliseconds> newest_proof_wait;
  bool own_physical_catalog_xmin_moved = false;
};
inline constexpr std::chrono::milliseconds proof_patience{10000};
inline constexpr std::chrono::milliseconds move_hold{3000};

// sample_pace_input.newest_proof_wait: of the copies waiting to be proven
// (`pending`, by name), how long the newest has waited since `since` says it
// started (one without a start: just now; a start in the future, after a
// clock step: just now). Nothing pending: unset.
template <class Pending, class Clock>
std::optional<std::chrono::milliseconds>
newest_proof_wait(const Pending& pending, const std::map<std::string, typename Clock::time_point>& since,
                  typename Clock::time_point now) {
  std::optional<std::chrono::milliseconds> newest;
  for (const auto& [name, x] : pending) {
    auto it = since.find(name);
    auto waited = it == since.end() ? std::chrono::milliseconds{0}
                                    : std::max(std::chrono::milliseconds{0},
                                               std::chrono::duration_cast<std::chrono::milliseconds>(now - it->second));
    newest = newest ? std::min(*newest, waited) : waited;
  }
  return newest;
}
bool sample_fast(const sample_pace_input& in, std::chrono::milliseconds patience = proof_patience,
                 std::chrono::milliseconds hold = move_hold);

// Whether the catalog_xmin of slot `name` differs between two leader samples
// (present in one and not the other counts as a change).
bool catalog_xmin_moved(const slot_cache& before, const slot_cache& after, const std::string& name);

// The wait before the next sample: the fastest after a sample that moved
// (or while something waits on the leader, such as a copy to be proven
// safe), otherwise twice the previous one, up to the slowest.
std::chrono::milliseconds next_sample_delay(std::chrono::milliseconds previous, bool moved,
                                            const sampling_limits& limits);

// When the HA loop ticks next: the earliest of the next full cycle, a copy
// waiting for its retry time and, on a replica that samples its leader
// (`sample` set), the next sample. Never negative.
std::chrono::milliseconds next_tick_delay(time_point now, time_point next_full_cycle,
                                          std::optional<time_point> copy_due,
                                          std::optional<std::chrono::milliseconds> sample);

} // namespace slotd::model
