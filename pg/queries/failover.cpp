#include "pg/queries/failover.hpp"

#include "pg/client/conninfo.hpp"

namespace slotd::pg::queries {

namespace {

pg::error parse_error(const std::string& what) {
  pg::error e;
  e.call = "parse";
  e.message = what;
  return e;
}

} // namespace

std::string failover_settings_sql() {
  return "SELECT pg_catalog.current_setting('sync_replication_slots', true)::boolean, "
         "pg_catalog.current_setting('primary_slot_name', true), "
         "pg_catalog.current_setting('primary_conninfo', true), "
         "pg_catalog.current_setting('synchronized_standby_slots', true)";
}

result<failover_settings> parse_failover_settings(const rows& r) {
  if (r.size() != 1)
    return parse_error("failover settings: expected one row");
  try {
    failover_settings s;
    s.sync_replication_slots = r.get<bool>(0, 0);
    s.primary_slot_name = r.get<std::string>(0, 1).value_or("");
    if (auto ci = r.get<std::string>(0, 2); ci && !ci->empty())
      s.primary_conninfo_dbname = pg::conninfo_get(*ci, "dbname").value_or("");
    s.synchronized_standby_slots = r.get<std::string>(0, 3);
    return s;
  } catch (const std::exception& ex) {
    return parse_error(std::string("failover settings: ") + ex.what());
  }
}

std::string failover_slots_sql() {
  return "SELECT slot_name, synced, temporary, invalidation_reason FROM pg_catalog.pg_replication_slots "
         "WHERE slot_type = 'logical' AND failover";
}

result<std::vector<model::failover_slot_state>> parse_failover_slots(const rows& r) {
  try {
    std::vector<model::failover_slot_state> out;
    for (int i = 0; i < r.size(); ++i) {
      model::failover_slot_state s;
      s.name = r.get<std::string>(i, 0).value_or("");
      s.synced = r.get<bool>(i, 1).value_or(false);
      s.temporary = r.get<bool>(i, 2).value_or(false);
      s.invalidation_reason = r.get<std::string>(i, 3);
      out.push_back(std::move(s));
    }
    return out;
  } catch (const std::exception& ex) {
    return parse_error(std::string("failover slots: ") + ex.what());
  }
}

std::string standby_senders_sql() {
  return "SELECT s.slot_name, r.state FROM pg_catalog.pg_replication_slots s "
         "JOIN pg_catalog.pg_stat_replication r ON r.pid = s.active_pid WHERE s.slot_type = 'physical'";
}

result<std::map<std::string, std::string>> parse_standby_senders(const rows& r) {
  try {
    std::map<std::string, std::string> out;
    for (int i = 0; i < r.size(); ++i) {
      auto state = r.get<std::string>(i, 1);
      if (!state) // hidden from roles without pg_read_all_stats: no guess
        return parse_error("standby senders: pg_stat_replication.state is not visible to this role (grant it "
                           "pg_read_all_stats or pg_monitor)");
      out[r.get<std::string>(i, 0).value_or("")] = *state;
    }
    return out;
  } catch (const std::exception& ex) {
    return parse_error(std::string("standby senders: ") + ex.what());
  }
}

result<std::string> set_synchronized_standby_slots_sql(const std::vector<std::string>& names) {
  if (names.empty())
    return std::string("ALTER SYSTEM RESET synchronized_standby_slots");
  for (const auto& n : names)
    if (!model::is_valid_slot_name(n)) {
      pg::error e;
      e.call = "synchronized_standby_slots";
      e.message = "not a valid slot name: '" + n + "'";
      return e;
    }
  return "ALTER SYSTEM SET synchronized_standby_slots = '" + model::synchronized_standby_slots_value(names) + "'";
}

std::string reload_conf_sql() { return "SELECT pg_catalog.pg_reload_conf()"; }

} // namespace slotd::pg::queries
