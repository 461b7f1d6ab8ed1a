#pragma once
// What a failed pg_replication_slot_advance of a logical slot on a replica
// means (docs/slot-rules.md §4.5 with Q5), and the brake on re-copies that
// keeps a replica out of a restart loop (patroni#2606, patroni#3150).
#include <chrono>
#include <deque>
#include <map>
#include <string>
#include <string_view>

#include "pg/model/retention.hpp"

namespace slotd::model {

enum class advance_error_action {
  recopy, // the local copy is unusable: copy it again from the leader
  retry,  // anything else: log, retry next cycle
};

// docs/slot-rules.md Q5: decided by SQLSTATE alone (messages follow
// lc_messages):
// - 58P01 (WAL segment already removed here) → recopy;
// - 55000 (slot invalidated, e.g. PG16+ recovery conflict) → recopy;
// - any other SQLSTATE → retry.
// A target behind the slot is NOT a recopy (the slot is fine, the target was
// old, patroni#3386): the advance statement skips it without an error
// (pg/queries/slots.hpp), so 55000 "minimum is" never reaches this.
advance_error_action classify_advance_error(std::string_view sqlstate);

// At most `max_recopies` re-copies of one slot within `window`; beyond that
// the slot is not copied again (and the caller alerts) until old re-copies
// leave the window. Time is an argument.
struct recopy_limiter {
  static constexpr int max_recopies = 3;
  static constexpr std::chrono::hours window{1};

  std::map<std::string, std::deque<time_point>> history; // slot → times of its re-copies

  // Whether another re-copy of `slot` may happen at `now` (nothing is
  // recorded: planning a copy is not making one).
  bool allows(const std::string& slot, time_point now) const;
  // A re-copy of `slot` that stopped the server at `now`. Only copies that
  // really restarted the server count: a copy dropped before the stop (the
  // leader unreachable, the slot gone there) must not use up the limit.
  void record(const std::string& slot, time_point now);
  // Re-copies of `slot` counted within the window ending at `now`.
  int recent(const std::string& slot, time_point now) const;

  friend bool operator==(const recopy_limiter&, const recopy_limiter&) = default;
};

// A copy that installed nothing (refused, failed, cancelled) is tried again
// after a pause that doubles with each such copy in a row: 1 s, 2 s, 4 s ...
// up to a minute. A fault that stays (a full disk, a leader that refuses)
// costs one attempt, and one log line, a minute; one that goes away is
// noticed within a minute. A copy that installed something resets it.
struct copy_retry {
  static constexpr std::chrono::seconds max_delay{60};
  unsigned failures_in_row = 0;
  time_point not_before{};

  bool allows(time_point now) const { return now >= not_before; }
  void failed(time_point now);
  void succeeded() { *this = {}; }
  static std::chrono::seconds delay(unsigned failures_in_row);
  friend bool operator==(const copy_retry&, const copy_retry&) = default;
};

} // namespace slotd::model
