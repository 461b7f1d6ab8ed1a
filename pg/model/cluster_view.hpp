#pragma once
// The plain values that describe what the cluster should look like: members
// with their tags, permanent slots, ignore matchers. Shared by config/ (which
// loads them), the API (PUT /cluster) and the pure slot model.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pg/types/lsn.hpp"

namespace slotd::model {

enum class slot_type { physical, logical };

std::string_view to_string(slot_type t);

struct member_tags {
  std::optional<std::string> replicatefrom; // name of the member it streams from
  bool nofailover = false;                  // never becomes primary
  bool nostream = false;                    // does not stream (no slot anywhere)
  friend bool operator==(const member_tags&, const member_tags&) = default;
};

struct member {
  std::string name;
  std::string host;
  int port = 5432;
  member_tags tags;
  // The member's WAL position as reported by the HA manager (only needed for
  // cascading members, docs/slot-rules.md §3.5 step 5).
  std::optional<pg::lsn> xlog_location;
  // The member's slotd API, http://HOST:PORT (slotctl candidates asks it;
  // a promote with handover_from fetches the old primary's final positions).
  std::optional<std::string> api;
  friend bool operator==(const member&, const member&) = default;
};

// A slot's WAL-retention alert levels (docs/operations.md, the WAL
// retention guard): the WAL it keeps, from its restart_lsn, at which it
// warns and at which it is past its limit. slotd alerts; it never drops a
// slot for it.
// What the WAL-retention guard does at a slot's limit: alert only, or also
// drop it when inactive (on the primary; created again at once).
enum class retention_action { alert, drop_inactive };
std::string_view to_string(retention_action a);

struct retention_policy {
  std::optional<std::uint64_t> warn;  // bytes
  std::optional<std::uint64_t> limit; // bytes
  retention_action action = retention_action::alert;
  // drop_inactive: how long the slot must have been seen inactive (on this
  // node, as primary) before it is dropped.
  std::chrono::milliseconds inactive_for = std::chrono::minutes(5);
  friend bool operator==(const retention_policy&, const retention_policy&) = default;
};

// A permanent slot as configured (Patroni's `slots` format,
// docs/slot-rules.md §3.2).
struct permanent_slot {
  std::string name;
  slot_type type = slot_type::physical;
  std::string database; // logical only
  std::string plugin;   // logical only
  bool failover = false; // PostgreSQL 17+: create with the failover flag
  retention_policy retention;
  friend bool operator==(const permanent_slot&, const permanent_slot&) = default;
};

// One `ignore_slots` entry: any subset of the four attributes; absent or
// empty means "any" (docs/slot-rules.md §2.3.7).
struct ignore_matcher {
  std::optional<std::string> name;
  std::optional<std::string> type;
  std::optional<std::string> database;
  std::optional<std::string> plugin;
  friend bool operator==(const ignore_matcher&, const ignore_matcher&) = default;
};

// What the HA manager (config file, PUT /cluster) says about the cluster.
struct cluster_view {
  std::map<std::string, member> members; // by member name
  std::map<std::string, permanent_slot> slots; // by slot name
  std::vector<ignore_matcher> ignore_slots;
  bool use_slots = true;
  std::chrono::milliseconds member_slots_ttl = std::chrono::minutes(30);
  friend bool operator==(const cluster_view&, const cluster_view&) = default;
};

// docs/slot-rules.md §3.1: lower-case; '-' and '.' become '_'; any other
// character outside [a-z0-9_] becomes 'u' + its code point in 4+ decimal
// digits; truncated to 63 characters.
std::string slot_name_from_member_name(std::string_view member_name);

// docs/slot-rules.md §3.1: permanent slot names must match ^[a-z0-9_]{1,63}$.
bool is_valid_slot_name(std::string_view name);

} // namespace slotd::model
