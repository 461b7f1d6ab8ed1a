#pragma once
// The WAL-retention guard (docs/operations.md): for each slot the WAL it
// keeps (from its restart_lsn to the server's position) against its
// configured alert levels, how fast the WAL kept by slots grows, and when
// the file system that holds pg_wal would fill at that rate. It alerts; a
// slot with `action: drop_inactive` is dropped at its limit by the slot
// plan (slot_plan.cpp, §3.13 rule 8), not here.
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pg/model/candidate.hpp"
#include "pg/model/cluster_view.hpp"
#include "pg/model/slot_figures.hpp"

namespace slotd::model {

// The WAL each slot keeps, over time (one entry per full cycle), on the
// steady clock (a wall-clock step must not read as growth). The caller
// starts it again when the server restarts (a copy installs slots whose
// kept WAL jumps).
using guard_clock = std::chrono::steady_clock;
struct wal_usage_history {
  std::deque<std::pair<guard_clock::time_point, std::map<std::string, std::uint64_t>>> kept;
  friend bool operator==(const wal_usage_history&, const wal_usage_history&) = default;
};

// How far back the growth rate looks, the shortest span it trusts, and how
// old the newest entry may be (the details are not read during copies,
// promotes or while the server is unreachable).
inline constexpr std::chrono::minutes wal_growth_window{5};
inline constexpr std::chrono::seconds wal_growth_min_span{30};
inline constexpr std::chrono::minutes wal_history_stale_after{2};
// A forecast under this is an alert.
inline constexpr std::chrono::hours wal_full_alert{1};

// The free space on pg_wal's file system is read (a statvfs on the probe
// thread: two thread wake-ups) at the first chance, then at most this
// often: it feeds only the forecast, whose alert is an hour ahead, and
// reading it every cycle was a good part of what an idle agent costs.
inline constexpr std::chrono::seconds wal_free_probe_interval{10};
// Whether a probe is due, after the last one at `last` (none yet: due). A
// clock that went back makes it due.
bool wal_free_probe_due(std::optional<guard_clock::time_point> last, guard_clock::time_point now);

// Records the WAL kept by each slot in `figures` at `at`; entries older
// than the window go. No slot with a restart_lsn: nothing recorded.
void record_wal_usage(wal_usage_history& h, const std::vector<slot_figures>& figures, guard_clock::time_point at);

enum class retention_level { ok, warn, limit };
std::string_view to_string(retention_level l);

struct slot_retention {
  std::string name;
  std::uint64_t kept = 0;
  retention_level level = retention_level::ok;
  std::optional<std::uint64_t> threshold; // the level's threshold (warn or limit), when not ok
  friend bool operator==(const slot_retention&, const slot_retention&) = default;
};

struct wal_guard_verdict {
  std::vector<slot_retention> slots;          // slots with a policy
  // The growth of the WAL slots keep (what pg_wal holds for them): the
  // least-squares slope of the most WAL kept, per entry, by the slots
  // present in every entry of at least wal_growth_min_span (a slot copied
  // in is a step, a batch of confirmations a sawtooth: neither is growth);
  // nullopt: too little history, or none recent (wal_history_stale_after).
  std::optional<double> growth_bytes_per_second;
  std::optional<std::uint64_t> free_bytes;       // on pg_wal's file system
  std::optional<double> full_forecast_seconds;   // free / growth, when it grows
  bool forecast_alert = false;                   // the forecast is under wal_full_alert
  friend bool operator==(const wal_guard_verdict&, const wal_guard_verdict&) = default;
};

// The guard's verdict: each slot that has a policy (permanent slots with
// retention levels) against its levels, and the disk forecast.
wal_guard_verdict judge_wal_retention(const std::vector<slot_figures>& figures,
                                      const std::map<std::string, permanent_slot>& policies,
                                      const wal_usage_history& history, std::optional<std::uint64_t> free_bytes,
                                      guard_clock::time_point now);

} // namespace slotd::model
