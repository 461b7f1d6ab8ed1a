#pragma once
// What the HA loop shows, as typed values: GET /status, /readiness,
// /health, /candidate and /metrics (docs/api.md). The HA loop fills them
// from its state (ha_report.cpp, ha_candidate.cpp, ha_metrics.cpp); the
// HTTP API renders them as JSON and Prometheus text (app/api/views.cpp).
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include "pg/model/candidate.hpp"
#include "pg/model/slot_figures.hpp"
#include "pg/model/wal_guard.hpp"
#include "pg/types/lsn.hpp"
#include "pg/types/xid.hpp"

namespace slotd::actors {

// Something an operator should act on. `slot` / `setting`: what it is
// about ("" when the node as a whole).
struct alert {
  std::string text;
  std::string slot;
  std::string setting;
};

// GET /health.
struct health_view {
  bool ok = false;
  bool loop_runs = false;
  std::uint64_t cycles = 0;
  std::string role;
  std::string detail; // why not ok, or what is under way ("" when nothing)
};

// GET /readiness.
struct readiness_view {
  bool ready = false;
  bool leads = false; // a primary's (or promoting node's) slots are its own: always ready
  std::string role;
  std::chrono::system_clock::time_point as_of{};
  std::vector<std::string> unready;
  std::map<std::string, std::string> reasons; // unready slot → why
  std::string reason;                         // why the node as a whole is not ready
  std::map<std::string, std::optional<pg::xid>> pending; // the readiness queue
  struct failover_count {
    int total = 0;
    int ready = 0;
  };
  std::optional<failover_count> failover_slots; // 17+: counted by PostgreSQL's sync state
  std::optional<std::vector<std::string>> missing_prerequisites;
};

// The slot copy under way.
struct copy_view {
  std::string phase;
  std::vector<std::string> slots;
  std::chrono::system_clock::time_point started_at{};
  unsigned start_attempts = 0;
};

// One local slot in GET /status.
struct slot_view {
  model::slot_figures figures; // name, type, active and what operators watch
  std::optional<pg::lsn> lsn;  // confirmed_flush_lsn, or restart_lsn if physical
  std::string database;        // logical
  std::string plugin;          // logical
  bool ready = false;          // logical: failover-ready here
  bool shows_behind = false;   // a replica's logical slot: behind_leader is shown (null when unknown)
};

// The WAL-retention guard (pg/model/wal_guard.hpp) in GET /status.
struct wal_guard_view {
  model::wal_guard_verdict verdict;
  std::string free_error; // why pg_wal's free space is unknown
};

// 17+ synchronized_standby_slots, as a replica sees its leader's setting.
struct standby_listing_view {
  std::optional<bool> listed; // in the leader's synchronized_standby_slots; none: unknown
  std::string protection_gap; // why the leader's setting does not protect it ("" when it does)
};

// 17+ synchronized_standby_slots, as a primary keeps it.
struct standby_slots_view {
  std::optional<std::string> setting; // synchronized_standby_slots in force (none: not read)
  int min_standbys = 0;
  double reduced_protection_seconds = 0;
  struct choice {
    std::vector<std::string> streaming;
    std::vector<std::string> left_out;
    std::vector<std::string> kept_waiting;
  };
  std::optional<choice> chosen; // when the primary knows its replicas' streams
};

// A 17+ failover slot on a replica (PostgreSQL's slotsync).
struct failover_slot_view {
  std::string name;
  bool present = false;
  bool synced = false;
  bool temporary = false;
  std::optional<std::string> invalidation_reason;
  bool ready = false;
};

// 17+ with failover permanent slots.
struct failover_view {
  std::string error; // reading the failover state failed
  std::optional<standby_listing_view> listing; // replica
  std::optional<standby_slots_view> standby;   // primary
  bool leads = false;
  std::vector<std::string> missing_prerequisites; // replica
  std::vector<failover_slot_view> slots;          // replica
};

// GET /status.
struct status_view {
  std::string name;
  std::string scope;
  std::string role;
  std::optional<std::string> leader;
  std::optional<pg::lsn> optime;
  bool paused = false;
  bool restarting = false;
  std::optional<copy_view> copy;
  std::string my_slot_name;
  std::vector<slot_view> slots;
  std::string slot_details_error;
  std::optional<double> leader_sample_age;
  wal_guard_view wal_guard;
  std::vector<alert> alerts;
  std::optional<failover_view> failover;
  std::chrono::system_clock::time_point as_of{};
};

// GET /candidate (pg/model/candidate.hpp).
struct candidate_view {
  std::string name;
  std::string role;
  std::optional<std::string> leader;
  model::candidate_verdict verdict;
  bool nofailover = false;
  std::optional<pg::lsn> receive_lsn;
  std::optional<pg::lsn> replay_lsn;
  std::optional<pg::lsn> current_lsn;
  std::optional<std::int64_t> timeline;
  bool copying = false;
  bool restarting = false;
  struct leader_sample {
    std::string leader;
    std::chrono::system_clock::time_point as_of{};
    double age_seconds = 0;
    std::optional<pg::lsn> current_lsn;
    std::string error;
  };
  std::optional<leader_sample> sample;
  struct member {
    std::optional<std::string> api;
    bool nofailover = false;
  };
  std::map<std::string, member> members; // where the members' agents answer
  std::chrono::system_clock::time_point as_of{};
};

// GET /metrics: the metric families, before their text exposition.
struct metrics_view {
  std::vector<prometheus::MetricFamily> families;
};

} // namespace slotd::actors
