#pragma once
// PostgreSQL 17+ native failover slots: the standby settings that
// slotsync needs, the failover slots' sync state, and setting
// synchronized_standby_slots on the primary. Every statement here is 17+.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pg/client/result.hpp"
#include "pg/client/rows.hpp"
#include "pg/model/failover_slots.hpp"

namespace slotd::pg::queries {

// One row: sync_replication_slots, primary_slot_name, primary_conninfo,
// synchronized_standby_slots (primary_conninfo needs superuser or
// pg_read_all_settings, as the agent's connection has).
std::string failover_settings_sql();
struct failover_settings {
  std::optional<bool> sync_replication_slots;
  std::string primary_slot_name;
  std::string primary_conninfo_dbname; // parsed out of primary_conninfo
  std::optional<std::string> synchronized_standby_slots;
};
result<failover_settings> parse_failover_settings(const rows& r);

// The logical failover slots, temporary ones included (slotsync keeps a new
// slot temporary until it is safe): name, synced, temporary,
// invalidation_reason.
std::string failover_slots_sql();
result<std::vector<model::failover_slot_state>> parse_failover_slots(const rows& r);

// A primary's walsenders by the physical slot they use: slot_name, state
// ("streaming" once the standby has caught up, "catchup" before). A NULL
// state (a role without pg_read_all_stats sees the rows, not the state) is
// an error: the caller then changes nothing.
std::string standby_senders_sql();
result<std::map<std::string, std::string>> parse_standby_senders(const rows& r);

// ALTER SYSTEM takes no parameters: the value is spliced as a literal, so
// every name must pass model::is_valid_slot_name ([a-z0-9_], nothing to
// quote); an empty list RESETs the setting. An error names the bad slot.
result<std::string> set_synchronized_standby_slots_sql(const std::vector<std::string>& names);
// Makes an ALTER SYSTEM take effect (the postmaster re-reads the files).
std::string reload_conf_sql();

} // namespace slotd::pg::queries
