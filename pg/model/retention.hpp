#pragma once
// docs/slot-rules.md §3.10, slotd's way: each slotd keeps its own retention
// clock. A member slot stays desired for member_slots_ttl after the last cycle
// in which its member was in the view (and did not have nostream); the TTL is
// refreshed on every cycle the member is present. Patroni keeps this clock on
// the leader and ships it through the DCS; slotd has no DCS, so every node
// keeps its own (it is not persisted: after an agent restart the clock starts
// with the members present at that time).
#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "pg/model/cluster_view.hpp"

namespace slotd::model {

using clock = std::chrono::steady_clock;
using time_point = clock::time_point;

struct retention_state {
  std::map<std::string, time_point> last_seen; // member slot name → last cycle present
  friend bool operator==(const retention_state&, const retention_state&) = default;
};

struct retention_update {
  retention_state state;
  std::vector<std::string> retained; // absent members' slots still within the TTL
  std::vector<std::string> expired;  // absent members' slots whose TTL ran out now
};

// Refresh the clock of every present member slot, keep absent ones until
// last_seen + ttl (exclusive: at exactly last_seen + ttl the slot expires).
// Never tracks my own slot (never retained) nor permanent physical slot
// names (they stay desired as permanent slots). member_slots_ttl = 0
// disables retention and forgets the clock.
retention_update update_retention(const retention_state& previous, const cluster_view& view,
                                  std::string_view my_name, time_point now);

} // namespace slotd::model
