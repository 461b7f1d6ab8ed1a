#include "pg/queries/slots.hpp"

#include "pg/queries/parse_guard.hpp"

namespace slotd::pg::queries {

namespace {

pg::error no_row(const char* what) {
  pg::error e;
  e.call = "parse";
  e.message = std::string(what) + ": expected one row";
  return e;
}

} // namespace

// Column positions are fixed for every version: later groups only append.
std::string list_slots_sql(int version) {
  const int major = major_of(version);
  std::string sql = "SELECT slot_name, slot_type, plugin, database, datoid::bigint, active, xmin, catalog_xmin, "
                    "restart_lsn, confirmed_flush_lsn";
  if (major >= 13)
    sql += ", wal_status";
  if (major >= 17)
    sql += ", failover, synced";
  sql += " FROM pg_catalog.pg_replication_slots WHERE NOT temporary";
  if (major >= 17)
    sql += " AND (NOT failover OR NOT synced)";
  return sql;
}

result<std::vector<slot_row>> parse_slots(const rows& r, int version) {
  const int major = major_of(version);
  return parse_guarded("slot listing", [&]() -> result<std::vector<slot_row>> {
    std::vector<slot_row> out;
    out.reserve(static_cast<std::size_t>(r.size()));
    for (int i = 0; i < r.size(); ++i) {
      slot_row s;
      s.name = r.get<std::string>(i, 0).value_or("");
      s.type = r.get<std::string>(i, 1).value_or("");
      s.plugin = r.get<std::string>(i, 2);
      s.database = r.get<std::string>(i, 3);
      s.datoid = r.get<std::int64_t>(i, 4);
      s.active = r.get<bool>(i, 5).value_or(false);
      s.xmin = r.get<xid>(i, 6);
      s.catalog_xmin = r.get<xid>(i, 7);
      s.restart_lsn = r.get<lsn>(i, 8);
      s.confirmed_flush_lsn = r.get<lsn>(i, 9);
      if (major >= 13)
        s.wal_status = r.get<std::string>(i, 10);
      if (major >= 17) {
        s.failover = r.get<bool>(i, 11);
        s.synced = r.get<bool>(i, 12);
      }
      out.push_back(std::move(s));
    }
    return out;
  });
}

std::string create_physical_slot_sql() {
  return "SELECT pg_catalog.pg_create_physical_replication_slot($1, true) WHERE NOT EXISTS "
         "(SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_type = 'physical' AND slot_name = $1)";
}

std::string create_logical_slot_sql() {
  return "SELECT pg_catalog.pg_create_logical_replication_slot($1, $2) WHERE NOT EXISTS "
         "(SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_type = 'logical' AND slot_name = $1)";
}

std::string create_logical_slot_failover_sql() {
  // (slot_name, plugin, temporary, two_phase, failover): 17+ only.
  return "SELECT pg_catalog.pg_create_logical_replication_slot($1, $2, false, false, $3::boolean) WHERE NOT EXISTS "
         "(SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_type = 'logical' AND slot_name = $1)";
}

bool parse_created(const rows& r) { return r.size() > 0; }

std::string log_standby_snapshot_sql() { return "SELECT pg_catalog.pg_log_standby_snapshot()"; }

std::string drop_slot_sql() {
  return "WITH slots AS (SELECT slot_name, active FROM pg_catalog.pg_replication_slots WHERE slot_name = $1), "
         "dropped AS (SELECT pg_catalog.pg_drop_replication_slot(slot_name), true AS dropped "
         "FROM slots WHERE NOT active) "
         "SELECT active, COALESCE(dropped, false) FROM slots FULL OUTER JOIN dropped ON true";
}

result<drop_outcome> parse_drop(const rows& r) {
  return parse_guarded("drop slot", [&]() -> result<drop_outcome> {
    drop_outcome out;
    if (r.size() == 0)
      return out; // the slot did not exist
    out.existed = true;
    out.active = r.get<bool>(0, 0).value_or(false);
    out.dropped = r.get<bool>(0, 1).value_or(false);
    return out;
  });
}

// The advance runs only when the slot is behind the target, so that a
// target behind the slot (an old position, a slot already advanced) is a
// NULL end_lsn instead of the error 55000 "... minimum is ...", which could only be
// told apart from an invalidated slot (also 55000) by its text, and the text
// depends on lc_messages. A slot with no position yet is advanced (and
// fails) as before, and so is a slot that does not exist (its error).
std::string advance_slot_sql() {
  // The call sits in a CASE of the select list: it runs only for the row
  // that passed, whatever plan the server picks (a call in FROM could run
  // before a filter).
  return "SELECT CASE WHEN s.slot_name IS NULL OR COALESCE(CASE WHEN s.slot_type = 'logical' "
         "THEN s.confirmed_flush_lsn ELSE s.restart_lsn END < $2::pg_lsn, true) "
         "THEN (pg_catalog.pg_replication_slot_advance(w.slot_name, $2::pg_lsn)).end_lsn END "
         "FROM (SELECT $1::name AS slot_name) w LEFT JOIN pg_catalog.pg_replication_slots s USING (slot_name)";
}

pg::params advance_params(const std::string& slot, lsn target) { return pg::params{slot, target.str()}; }

result<std::optional<lsn>> parse_advance(const rows& r) {
  return parse_guarded("advance slot", [&]() -> result<std::optional<lsn>> {
    if (r.size() != 1)
      return no_row("advance slot");
    return r.get<lsn>(0, 0);
  });
}

std::string node_position_sql(int version) {
  return std::string("SELECT pg_catalog.pg_is_in_recovery(), "
                     "CASE WHEN pg_catalog.pg_is_in_recovery() THEN NULL ELSE pg_catalog.pg_current_wal_lsn() END, "
                     "pg_catalog.pg_last_wal_replay_lsn(), pg_catalog.pg_last_wal_receive_lsn(), "
                     "pg_catalog.current_setting('synchronized_standby_slots', true), ") +
         (major_of(version) >= 17 ? "(SELECT max(confirmed_flush_lsn) FROM pg_catalog.pg_replication_slots "
                                    "WHERE slot_type = 'logical' AND failover)"
                                  : "NULL::pg_lsn");
}

result<node_position> parse_node_position(const rows& r) {
  return parse_guarded("node position", [&]() -> result<node_position> {
    if (r.size() != 1)
      return no_row("node position");
    node_position p;
    p.in_recovery = r.get<bool>(0, 0).value_or(false);
    p.current_lsn = r.get<lsn>(0, 1);
    p.replay_lsn = r.get<lsn>(0, 2);
    p.receive_lsn = r.get<lsn>(0, 3);
    if (r.columns() > 5) {
      p.synchronized_standby_slots = r.get<std::string>(0, 4);
      p.failover_confirmed = r.get<lsn>(0, 5);
    }
    return p;
  });
}

std::string copy_slots_sql(int version) {
  std::string sql = "SELECT slot_name, slot_type, datname, plugin, catalog_xmin, confirmed_flush_lsn, "
                    "pg_catalog.pg_read_binary_file('pg_replslot/' || slot_name || '/state') "
                    "FROM pg_catalog.pg_get_replication_slots() JOIN pg_catalog.pg_database ON datoid = oid WHERE ";
  if (major_of(version) >= 17)
    sql += "NOT failover AND ";
  sql += "NOT pg_catalog.pg_is_in_recovery() AND slot_name = ANY($1::text[])";
  return sql;
}

result<std::vector<slot_copy_row>> parse_copy_rows(const rows& r) {
  return parse_guarded("slot copy", [&]() -> result<std::vector<slot_copy_row>> {
    std::vector<slot_copy_row> out;
    for (int i = 0; i < r.size(); ++i) {
      slot_copy_row s;
      s.name = r.get<std::string>(i, 0).value_or("");
      s.type = r.get<std::string>(i, 1).value_or("");
      s.database = r.get<std::string>(i, 2).value_or("");
      s.plugin = r.get<std::string>(i, 3).value_or("");
      s.catalog_xmin = r.get<xid>(i, 4);
      s.confirmed_flush_lsn = r.get<lsn>(i, 5);
      s.state = r.get<bytea>(i, 6).value_or(bytea{}).data;
      out.push_back(std::move(s));
    }
    return out;
  });
}

std::string read_file_sql() { return "SELECT pg_catalog.pg_read_binary_file($1)"; }

result<std::string> parse_file_bytes(const rows& r) {
  return parse_guarded("file", [&]() -> result<std::string> {
    if (r.size() != 1 || r.is_null(0, 0))
      return no_row("file");
    return r.get<bytea>(0, 0).value_or(bytea{}).data;
  });
}

std::string slot_restart_lsn_sql() {
  return "SELECT restart_lsn FROM pg_catalog.pg_replication_slots WHERE slot_name = $1";
}

result<std::optional<lsn>> parse_restart_lsn(const rows& r) {
  return parse_guarded("restart_lsn", [&]() -> result<std::optional<lsn>> {
    if (r.size() != 1)
      return std::optional<lsn>{}; // the slot is gone
    return r.get<lsn>(0, 0);
  });
}

std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i)
      out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\')
        out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

} // namespace slotd::pg::queries
