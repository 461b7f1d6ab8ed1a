#pragma once
// The members reader's state, and what its two files share:
// members_reader.cpp (the reads, the members, the actor) and
// members_pgaf.cpp (ha_source pg_auto_failover: the promote and follow the
// monitor's goal states call for).
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "actors/members_reader.hpp"
#include "actors/sql_lane.hpp"
#include "pg/model/pgaf_source.hpp"

namespace slotd::actors::members {

struct reader_state {
  reader_state() = default;
  members_reader_settings settings;
  std::string label;  // "members_from repmgr", "ha_source pg_auto_failover": log lines
  std::string origin; // "repmgr.nodes", "the pg_auto_failover monitor"
  std::int64_t my_node_id = 0; // pg_auto_failover
  ha_loop_actor ha;
  std::unique_ptr<sql_lane> lane;
  std::optional<std::map<std::string, model::member>> given; // in force in the HA loop
  std::vector<std::string> problems;                         // of the last read
  std::string error;                                         // of the last read or update, if it failed
  std::optional<wall_clock::time_point> failing_since;       // since when reads or updates fail
  std::optional<wall_clock::time_point> last_read;
  std::uint64_t reads = 0;
  std::uint64_t updates = 0;
  bool updating = false;
  bool read_failed = false; // the last read did not go through: reads come at each interval
  // pg_auto_failover
  std::vector<model::pgaf_node> nodes; // of the last read that went through
  model::pgaf_told told;
  bool acting = false; // a promote or follow sent, not answered yet
  std::uint64_t notifications = 0;
  std::uint64_t promotes = 0;
  std::uint64_t follows = 0;
  std::string last_step;  // what was last sent and its outcome, for the dump
  std::string step_error; // the last refusal, logged once
};

using self_ptr = members_reader_private::stateful_pointer<reader_state>;

inline std::shared_ptr<spdlog::logger> log_ha() { return spdlog::get("ha"); } // as the other actors log

inline bool pgaf(const reader_state& st) { return st.settings.source == config::members_source::pg_auto_failover; }

// The next read, waiting first for a notification or `wait`
// (pg_auto_failover; members_reader.cpp).
void next_read(self_ptr self, std::chrono::milliseconds wait);

// The step the node's goal state calls for, sent to the HA loop; the next
// read waits for its answer. No step: the next read (members_pgaf.cpp).
void act(self_ptr self);

} // namespace slotd::actors::members
