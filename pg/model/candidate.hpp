#pragma once
// Promotion candidates (docs/api.md, GET /candidate and slotctl candidates):
// - how far behind the leader each copy is, in bytes and in seconds, from
//   the leader positions the replica samples anyway (position_history);
// - the verdict of one node: would promoting it lose nothing for any
//   consumer of a permanent logical slot (judge_candidate);
// - the order an HA manager should pick candidates in (rank_candidates).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pg/model/failover_slots.hpp"
#include "pg/model/local_slot.hpp"
#include "pg/model/readiness.hpp"
#include "pg/types/lsn.hpp"

namespace slotd::model {

using sample_clock = std::chrono::system_clock;

// The leader's confirmed_flush_lsn of each logical slot over time: one
// entry per position seen, with the first and last sample that saw it.
struct position_seen {
  pg::lsn lsn;
  sample_clock::time_point first;
  sample_clock::time_point last;
  friend bool operator==(const position_seen&, const position_seen&) = default;
};
struct position_history {
  std::string leader; // whose slots these are
  std::map<std::string, std::deque<position_seen>> slots;
  std::optional<sample_clock::time_point> newest; // the last sample recorded
  friend bool operator==(const position_history&, const position_history&) = default;
};

// Most entries kept per slot. Past it, every other entry of the older half
// goes: recent history stays fine-grained, old history coarse (a lag
// computed from a thinned stretch is over-, never under-estimated).
inline constexpr std::size_t position_history_limit = 256;

// Seconds from `from` to `to`; 0 when `to` is not after `from`.
double seconds_between(sample_clock::time_point from, sample_clock::time_point to);

// Records one sample of member `leader_name` taken at `at`: each logical
// slot's confirmed_flush_lsn. A sample of another leader starts the history
// again, and so does a sample older than the newest recorded (the wall
// clock stepped back: the recorded times would be in the future); slots the
// leader no longer has are forgotten; a position that goes backwards
// restarts that slot's history.
void record_leader_positions(position_history& h, const std::string& leader_name, const slot_cache& leader,
                             sample_clock::time_point at, std::size_t limit = position_history_limit);

// How far a copy at `copy` is behind the leader's slot, as of the newest
// sample: bytes below the leader's last known position, and seconds since
// the leader's slot was last seen at or below `copy` (an upper bound,
// within one sampling interval). When the history does not reach back that
// far, the seconds are the history's span and `at_least` is set.
struct lag {
  std::uint64_t bytes = 0;
  double seconds = 0;
  bool at_least = false;
  friend bool operator==(const lag&, const lag&) = default;
};
std::optional<lag> lag_behind(const position_history& h, const std::string& slot, pg::lsn copy);

// One node's answer to "can I be promoted without any consumer losing or
// re-reading changes?".
struct candidate_input {
  bool holds_lead = false;      // primary or promoting: it is the leader
  bool local_reachable = false; // the last read of the local server worked
  bool in_recovery = true;      // the local server, as last read
  bool copying = false;         // a slot copy is under way
  bool restarting = false;      // the server is stopped for a copy
  bool server_down = false;     // a start after a copy failed
  int server_major = 0;
  node_readiness readiness;     // judge_node_readiness
  std::vector<slot_verdict> verdicts; // judge_desired_logical_slots
  slot_cache local;             // visible local slots
  std::optional<slot_cache> leader_slots; // the leader's slots at the last sample
  const position_history* history = nullptr;
  std::vector<failover_slot_state> failover_slots; // 17+
};

struct candidate_slot {
  std::string name;
  bool ready = false;
  std::string reason; // when not ready
  bool present = false;
  bool lost = false; // wal_status lost
  std::optional<pg::lsn> lsn;        // the copy's confirmed_flush_lsn
  std::optional<pg::lsn> leader_lsn; // the leader's, at the last sample
  std::optional<lag> behind;         // nullopt: no leader position known
  std::optional<bool> synced;        // 17+ failover slots
  std::optional<bool> temporary;
  friend bool operator==(const candidate_slot&, const candidate_slot&) = default;
};

struct candidate_verdict {
  bool loses_nothing = false;
  std::vector<std::string> reasons; // why not, each in a sentence
  std::vector<candidate_slot> slots;
  std::size_t slots_behind = 0;     // copies below the leader's last known position
  std::uint64_t bytes_behind = 0;   // summed over them
  friend bool operator==(const candidate_verdict&, const candidate_verdict&) = default;
};

// A node loses nothing when it holds the lead, or when it is ready by
// GET /readiness's rule, its local server answers, and no copy holds it.
// Being behind the leader is not a loss: the final advance at promote
// closes the gap up to what the node has replayed, and what it cannot
// close is re-read (duplicates), which the figures show.
candidate_verdict judge_candidate(const candidate_input& in);

// A member's answer, as slotctl candidates collects it.
struct candidate_summary {
  std::string name;
  bool reachable = false;
  std::string error;   // when not reachable
  bool leader = false; // holds the lead: not a candidate
  bool loses_nothing = false;
  std::optional<pg::lsn> receive_lsn;
  std::size_t slots_behind = 0;
  std::uint64_t bytes_behind = 0;
  bool nofailover = false;
  friend bool operator==(const candidate_summary&, const candidate_summary&) = default;
};

// Best first: replicas that answered, then by: loses nothing; the highest
// received LSN (none is lowest); the fewest slots behind, then the fewest
// bytes behind; not nofailover; the name. The leader and the members that
// did not answer come last (in name order), never dropped.
std::vector<candidate_summary> rank_candidates(std::vector<candidate_summary> members);

// Whether `c` may be chosen: a reachable replica, not nofailover, that loses
// nothing.
bool is_safe_choice(const candidate_summary& c);

} // namespace slotd::model
