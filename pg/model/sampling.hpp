#pragma once
// docs/slot-rules.md §1.2: how often a replica samples its leader's slot
// positions between full cycles, and when the HA loop ticks next. Like
// PostgreSQL 17's slotsync worker: sample fast while the leader's logical
// slots move, back off while they don't, snap back on the first change.
#include <chrono>
#include <optional>

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
