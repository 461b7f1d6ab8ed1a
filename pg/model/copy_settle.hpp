#pragma once
// docs/slot-rules.md §2.3.21a: one restart per burst of new slots. A file
// copy (PostgreSQL 12–15) restarts the replica, so slots that appear a few
// tenths of a second apart on the leader, or that a new cluster view wants
// before the leader has them, are copied together: the copy waits until the
// set of slots it needs has been quiet for `copy_settle`, never longer than
// `max_settle_factor` × `copy_settle` after the oldest slot it could copy,
// and never starts within `copy_settle` of the end of the previous restart.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pg/model/desired_slots.hpp"
#include "pg/model/local_slot.hpp"
#include "pg/model/retention.hpp"

namespace slotd::model {

inline constexpr int max_settle_factor = 3;

// A slot a copy waits for, and since when: `on_leader` false while only the
// cluster view wants it (the leader has not created it yet), true once a
// leader sample shows it. Its time is reset when it appears on the leader.
struct settling_slot {
  time_point since{};
  bool on_leader = false;
  friend bool operator==(const settling_slot&, const settling_slot&) = default;
};
using settling_slots = std::map<std::string, settling_slot, std::less<>>;

// The desired logical slots that this replica lacks and its leader has not
// created yet (`leader` as published by positions_of).
std::vector<std::string> awaited_on_leader(const desired_set& desired, const slot_cache& local,
                                           const slot_positions& leader);

// Keeps `slots` equal to the plan's copies (on the leader) plus the awaited
// slots: new names get `now`, a name that moves from awaited to the leader
// gets `now` again, names in neither are forgotten.
void track_settling(settling_slots& slots, const std::vector<std::string>& to_copy,
                    const std::vector<std::string>& awaited, time_point now);

struct copy_settle_input {
  time_point now{};
  std::chrono::milliseconds settle{0}; // 0: no settling, copy at once
  std::vector<std::string> to_copy;    // the plan's copies
  settling_slots settling;             // as kept by track_settling
  std::optional<time_point> last_restart_end;
};

enum class settle_wait { none, quiet, after_restart };
std::string to_string(settle_wait w);

struct copy_settle_decision {
  bool copy_now = false;
  time_point not_before{};           // when waiting: the earliest time to copy
  settle_wait waiting = settle_wait::none;
  friend bool operator==(const copy_settle_decision&, const copy_settle_decision&) = default;
};

// Whether the copies can start now, and if not, until when they wait.
copy_settle_decision settle_copies(const copy_settle_input& in);

} // namespace slotd::model
