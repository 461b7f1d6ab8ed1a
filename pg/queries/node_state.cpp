#include "pg/queries/node_state.hpp"

#include "pg/queries/parse_guard.hpp"

namespace slotd::pg::queries {

std::string node_state_sql() {
  return "SELECT pg_catalog.pg_is_in_recovery(), "
         "CASE WHEN pg_catalog.pg_is_in_recovery() THEN NULL ELSE pg_catalog.pg_current_wal_lsn() END, "
         "pg_catalog.pg_last_wal_replay_lsn(), "
         "pg_catalog.current_setting('hot_standby_feedback')::boolean, "
         "(SELECT sender_host FROM pg_catalog.pg_stat_wal_receiver), "
         "(SELECT sender_port FROM pg_catalog.pg_stat_wal_receiver), "
         "pg_catalog.pg_postmaster_start_time()::text, "
         "pg_catalog.pg_last_wal_receive_lsn(), "
         "CASE WHEN pg_catalog.pg_is_in_recovery() THEN (SELECT received_tli FROM pg_catalog.pg_stat_wal_receiver) "
         "ELSE ('x' || pg_catalog.substr(pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_lsn()), 1, 8))"
         "::bit(32)::int8 END, "
         "(SELECT status FROM pg_catalog.pg_stat_wal_receiver), "
         "(SELECT pid FROM pg_catalog.pg_stat_wal_receiver)";
}

result<node_state> parse_node_state(const rows& r) {
  if (r.size() != 1) {
    pg::error e;
    e.call = "parse";
    e.message = "node state: expected one row";
    return e;
  }
  return parse_guarded("node state", [&]() -> result<node_state> {
    node_state s;
    s.in_recovery = r.get<bool>(0, 0).value_or(false);
    s.current_lsn = r.get<lsn>(0, 1);
    s.replay_lsn = r.get<lsn>(0, 2);
    s.hot_standby_feedback = r.get<bool>(0, 3);
    s.sender_host = r.get<std::string>(0, 4);
    if (auto p = r.get<std::int64_t>(0, 5))
      s.sender_port = static_cast<int>(*p);
    s.started_at = r.get<std::string>(0, 6).value_or("");
    s.receive_lsn = r.get<lsn>(0, 7);
    s.timeline = r.get<std::int64_t>(0, 8);
    if (r.columns() > 10) {
      s.wal_receiver = r.get<std::string>(0, 9);
      // A role without pg_read_all_stats sees the receiver's pid only.
      if (!s.wal_receiver && r.get<std::int64_t>(0, 10))
        s.wal_receiver = "hidden";
    }
    return s;
  });
}

model::local_slot to_local_slot(const slot_row& row) {
  model::local_slot s;
  s.name = row.name;
  s.type = row.is_logical() ? model::slot_type::logical : model::slot_type::physical;
  s.plugin = row.plugin.value_or("");
  s.database = row.database.value_or("");
  if (row.datoid)
    s.datoid = static_cast<std::uint32_t>(*row.datoid);
  s.xmin = row.xmin;
  s.catalog_xmin = row.catalog_xmin;
  s.restart_lsn = row.restart_lsn;
  s.confirmed_flush_lsn = row.confirmed_flush_lsn;
  s.wal_status = row.wal_status;
  s.failover = row.failover.value_or(false);
  s.synced = row.synced.value_or(false);
  s.active = row.active;
  return s;
}

model::slot_cache to_slot_cache(const std::vector<slot_row>& rows) {
  model::slot_cache out;
  for (auto& r : rows)
    out.emplace(r.name, to_local_slot(r));
  return out;
}

} // namespace slotd::pg::queries
