#pragma once
// The keys each section of slotd.yaml and of a PUT /cluster body accepts.
// One table serves two purposes: rejecting unknown keys, and telling the user
// where a misplaced key belongs ("unknown key 'ignore_slots' in postgresql
// (it belongs at the top level)").
#include <span>
#include <string_view>

namespace slotd::config::keys {

inline constexpr std::string_view top[] = {"name",  "scope",        "loop_wait",        "role",
                                            "postgresql", "members", "members_from", "slots", "ignore_slots",
                                            "member_slots_ttl", "api", "log", "state_dir",
                                            "failover_slots", "ha_source"};
inline constexpr std::string_view postgresql[] = {"conninfo",      "data_dir",    "bin_dir",  "stop_command",
                                                  "start_command", "copy_settle", "copy_method",
                                                  "leader_auth",   "use_slots"};
inline constexpr std::string_view failover_slots[] = {"min_standbys", "leave_out_after"};
inline constexpr std::string_view members_from[] = {"repmgr"};
inline constexpr std::string_view repmgr[] = {"database", "api_port"};
inline constexpr std::string_view ha_source[] = {"pg_auto_failover"};
inline constexpr std::string_view pg_auto_failover[] = {"monitor", "formation", "api_port"};
inline constexpr std::string_view leader_auth[] = {"user", "password_file"};
inline constexpr std::string_view api[] = {"listen", "token_file"};
inline constexpr std::string_view log[] = {"level", "format", "audit_file"};
inline constexpr std::string_view member[] = {"host", "port", "tags", "xlog_location", "api"};
inline constexpr std::string_view tags[] = {"replicatefrom", "nofailover", "nostream"};
inline constexpr std::string_view slot[] = {"type", "database", "plugin", "failover", "retention"};
inline constexpr std::string_view retention[] = {"warn", "limit", "action", "inactive_for"};
inline constexpr std::string_view ignore[] = {"name", "type", "database", "plugin"};
// PUT /cluster: the cluster-view keys, all at the top of the body.
inline constexpr std::string_view cluster_update[] = {"members", "slots", "ignore_slots", "member_slots_ttl",
                                                      "use_slots"};

// A place where keys live, described for a message ("under postgresql").
struct home {
  std::string_view where;
  std::span<const std::string_view> keys;
};

inline constexpr home file_homes[] = {
    {"at the top level", top},          {"under postgresql", postgresql}, {"under postgresql.leader_auth", leader_auth},
    {"under api", api},                 {"under log", log},               {"in a member's entry", member},
    {"in a member's tags", tags},       {"in a slot's entry", slot},      {"in an ignore_slots entry", ignore},
    {"in a slot's retention", retention},  {"under failover_slots", failover_slots},
    {"under members_from", members_from},  {"under members_from.repmgr", repmgr},
    {"under ha_source", ha_source},        {"under ha_source.pg_auto_failover", pg_auto_failover},
};

// Slot and ignore_slots entry keys are left out here: next to the body's
// own keys, "name belongs in an ignore_slots entry" misleads more than helps.
inline constexpr home cluster_update_homes[] = {
    {"at the top level of the update", cluster_update},
    {"in a member's entry", member},
    {"in a member's tags", tags},
};

} // namespace slotd::config::keys
