#pragma once
// slotd.yaml as plain values (docs/configuration.md). Defaults here are the
// documented defaults; load.hpp fills these from a file and validates them.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pg/model/cluster_view.hpp"
#include "pg/model/copy_method.hpp"

namespace slotd::config {

// What the agent does before the first promote/demote message
// (docs/design.md §1).
enum class start_role {
  automatic, // "auto": infer the role from the local server
  wait,      // "wait": do nothing until told
};

enum class log_level { trace, debug, info, warn, error, critical, off };
enum class log_format { text, json };

std::string_view to_string(start_role r);
std::string_view to_string(log_level l);
std::string_view to_string(log_format f);

// The role slotd uses on the leader connection. Empty user: the user of
// postgresql.conninfo (docs/configuration.md).
struct leader_auth_config {
  std::string user;
  std::string password_file;
  friend bool operator==(const leader_auth_config&, const leader_auth_config&) = default;
};

// `use_slots` is written under postgresql (as in Patroni) but belongs to the
// cluster view, which PUT /cluster can replace: it lives in config::cluster.
struct postgresql_config {
  std::string conninfo;      // empty: libpq's defaults (PGHOST, ...)
  std::string data_dir;      // where copied slot files are installed
  std::string bin_dir;       // pg_ctl for stop/start around a slot copy
  std::string stop_command;  // empty: pg_ctl stop -m fast from bin_dir
  std::string start_command; // empty: pg_ctl start from bin_dir
  // A file copy restarts the server: new slots are copied together once no
  // new one has appeared for this long (docs/slot-rules.md §2.3.21a); 0: at once.
  std::chrono::milliseconds copy_settle = std::chrono::seconds(2);
  // How a replica gets its copies (pg/model/copy_method.hpp): auto = create
  // on 16 (no restart), file on the other majors.
  model::copy_method_setting copy_method = model::copy_method_setting::automatic;
  leader_auth_config leader_auth;
  friend bool operator==(const postgresql_config&, const postgresql_config&) = default;
};

// host:port to listen on; an IPv6 host is written in brackets ("[::1]:8010")
// and kept here without them.
struct listen_address {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8010;
  friend bool operator==(const listen_address&, const listen_address&) = default;
};
std::string to_string(const listen_address& a);

struct api_config {
  listen_address listen;
  std::string token_file; // when set, mutating requests need its bearer token
  friend bool operator==(const api_config&, const api_config&) = default;
};

struct log_config {
  log_level level = log_level::info;
  log_format format = log_format::text;
  // The audit trail's JSON lines (one per change slotd makes) also go to
  // this file; empty: only GET /events.
  std::string audit_file;
  friend bool operator==(const log_config&, const log_config&) = default;
};

// PostgreSQL 17+ failover slots (docs/slot-rules.md §4.8).
struct failover_slots_config {
  // How many failover-capable replicas a primary keeps in
  // synchronized_standby_slots when fewer stream: the consumers of failover
  // slots wait for them rather than get ahead of every standby. 0: none.
  int min_standbys = 1;
  // A listed replica that stops streaming stays listed this long (the
  // consumers wait), so that its agent reports it not ready before they
  // may pass it. Keep it above the replicas' loop_wait. 0: left out at once.
  std::chrono::milliseconds leave_out_after = std::chrono::seconds(30);
  friend bool operator==(const failover_slots_config&, const failover_slots_config&) = default;
};

// Where the cluster view's members come from (docs/configuration.md,
// members_from and ha_source): the configuration (members, PUT /cluster),
// repmgr's metadata (pg/model/repmgr_members.hpp), read from the local
// server, or the pg_auto_failover monitor (pg/model/pgaf_source.hpp), which
// also drives promote and demote (ha_source: pg_auto_failover).
enum class members_source { config, repmgr, pg_auto_failover };
std::string_view to_string(members_source s);

struct members_from_config {
  members_source source = members_source::config;
  std::string database = "repmgr";        // repmgr: the database that holds repmgr.nodes
  std::optional<std::uint16_t> api_port;  // repmgr, pg_auto_failover: each member's slotd API at http://HOST:api_port
  std::string monitor;                    // pg_auto_failover: the monitor's connection string
  std::string formation = "default";      // pg_auto_failover: the formation of this node
  friend bool operator==(const members_from_config&, const members_from_config&) = default;
};

// Where the members are read, for messages: "repmgr.nodes", "the
// pg_auto_failover monitor" ("" for config).
std::string_view members_origin(members_source s);
// The key that chose the source, for messages: "members_from: repmgr",
// "ha_source: pg_auto_failover".
std::string_view members_source_key(members_source s);
// The same as the head of a log line or alert: "members_from repmgr: ...".
std::string_view members_source_label(members_source s);

struct config {
  std::string name;  // required: this member's name, as the HA manager names it
  std::string scope; // cluster name for logs and metric labels
  std::chrono::milliseconds loop_wait = std::chrono::seconds(10);
  start_role role = start_role::automatic;
  // slotd's own durable state (the record of a slot copy under way); empty:
  // next to the data directory, "<data_dir>.slotd".
  std::string state_dir;
  postgresql_config postgresql;
  failover_slots_config failover_slots;
  // members, slots, ignore_slots, member_slots_ttl and postgresql.use_slots:
  // the part PUT /cluster may replace at run time.
  model::cluster_view cluster;
  members_from_config members_from;
  api_config api;
  log_config log;
  friend bool operator==(const config&, const config&) = default;
};

} // namespace slotd::config
