#pragma once
// The slot SQL of docs/slot-rules.md (§2.3.5, §2.3.8, §2.3.12, §2.3.14,
// §2.3.18, §2.3.21, §2.6) per server major 12-18, and parsers of their rows
// into plain structs. Every value travels as a $n parameter: no name is ever
// spliced into SQL text. `version` is server_version_num (e.g. 150004) of
// the server that runs the statement.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pg/client/params.hpp"
#include "pg/client/result.hpp"
#include "pg/client/rows.hpp"
#include "pg/types/lsn.hpp"
#include "pg/types/xid.hpp"

namespace slotd::pg::queries {

constexpr int major_of(int version) { return version / 10000; }

// ---- slot listing (§2.3.5/§2.3.6) ----
struct slot_row {
  std::string name;
  std::string type; // "physical" | "logical"
  std::optional<std::string> plugin;
  std::optional<std::string> database; // name, logical only
  std::optional<std::int64_t> datoid;
  bool active = false;
  std::optional<xid> xmin;
  std::optional<xid> catalog_xmin;
  std::optional<lsn> restart_lsn;
  std::optional<lsn> confirmed_flush_lsn;
  std::optional<std::string> wal_status; // 13+
  std::optional<bool> failover;          // 17+
  std::optional<bool> synced;            // 17+
  bool is_logical() const { return type == "logical"; }
};
// Temporary slots hidden; on 17+ failover slots owned by the slotsync worker
// (failover AND synced) hidden too, as in Patroni.
std::string list_slots_sql(int version);
result<std::vector<slot_row>> parse_slots(const rows& r, int version);

// ---- create (§2.3.12, §2.3.14) ----
// $1 name. Reserves WAL at once; no-op when a physical slot of that name exists.
std::string create_physical_slot_sql();
// $1 name, $2 plugin. No-op when a logical slot of that name exists.
std::string create_logical_slot_sql();
// 17+: $1 name, $2 plugin, $3 failover ("true"/"false").
std::string create_logical_slot_failover_sql();
// Rows returned: 1 when created, 0 when it already existed.
bool parse_created(const rows& r);
// 16+, on the primary: a running-transactions record now, so that a slot
// being created on a standby finds its starting point without waiting for
// the next one (the bgwriter's, every 15 s while WAL is written).
std::string log_standby_snapshot_sql();

// ---- safe drop (§2.3.8): never drops an active slot ----
// $1 name.
std::string drop_slot_sql();
struct drop_outcome {
  bool existed = false;
  bool active = false;
  bool dropped = false;
};
result<drop_outcome> parse_drop(const rows& r);

// ---- advance (physical §2.3.12, logical §2.2) ----
// $1 name, $2 target LSN text. Returns the slot's end LSN.
std::string advance_slot_sql();
pg::params advance_params(const std::string& slot, lsn target);
result<std::optional<lsn>> parse_advance(const rows& r);

// ---- node state ----
// in_recovery, current WAL LSN (primary) or NULL, replay LSN, receive LSN,
// synchronized_standby_slots (NULL before 17), the largest
// confirmed_flush_lsn of the logical failover slots (17+; NULL before:
// `version` is server_version_num). Unlike the slot listing, this sees the
// synced failover slots a promoted standby keeps.
std::string node_position_sql(int version);
struct node_position {
  bool in_recovery = false;
  std::optional<lsn> current_lsn; // primary only
  std::optional<lsn> replay_lsn;  // standby only
  std::optional<lsn> receive_lsn; // standby only
  // 17+: current_setting('synchronized_standby_slots'); nullopt before 17.
  std::optional<std::string> synchronized_standby_slots;
  std::optional<lsn> failover_confirmed; // 17+
  // The position this node has reached: current on a primary, replay otherwise.
  std::optional<lsn> position() const { return in_recovery ? replay_lsn : current_lsn; }
};
result<node_position> parse_node_position(const rows& r);

// ---- leader queries ----
// Copy (§2.3.21): $1 text[] of slot names; each slot's attributes and its
// on-disk state file. On 17+ native failover slots are excluded.
std::string copy_slots_sql(int version);
struct slot_copy_row {
  std::string name;
  std::string type;
  std::string database;
  std::string plugin;
  std::optional<xid> catalog_xmin;
  std::optional<lsn> confirmed_flush_lsn;
  std::string state; // raw bytes of pg_replslot/<name>/state
};
result<std::vector<slot_copy_row>> parse_copy_rows(const rows& r);

// One file of the data directory, $1 its relative path, as bytea; needs
// the same privilege as copy_slots_sql (EXECUTE on pg_read_binary_file(text)).
// A missing file is an error with SQLSTATE 58P01 (is_undefined_file).
std::string read_file_sql();
result<std::string> parse_file_bytes(const rows& r);

// $1 slot name: its restart_lsn now (in memory; the state file may lag).
std::string slot_restart_lsn_sql();
result<std::optional<lsn>> parse_restart_lsn(const rows& r);

// A text[] parameter: {"a","b"} with quotes and backslashes escaped.
std::string text_array(const std::vector<std::string>& items);

} // namespace slotd::pg::queries
