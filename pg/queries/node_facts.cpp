#include "pg/queries/node_facts.hpp"

namespace slotd::pg::queries {

namespace {

pg::error parse_error(const std::string& what) {
  pg::error e;
  e.call = "parse";
  e.message = "node facts: " + what;
  return e;
}

} // namespace

boost::asio::awaitable<result<model::node_facts>> read_identity(connection& conn, deadline until) {
  model::node_facts f;
  f.server_version = conn.server_version();
  // pg_control_system() is open to every role; unknown only when the query
  // fails (then no copy is made: the prerequisites need it).
  auto id = co_await conn.exec("SELECT system_identifier::text FROM pg_catalog.pg_control_system()", until);
  if (id && id->size() == 1)
    f.system_identifier = id->get<std::string>(0, 0);
  else if (!id && pg::is_connection_failure(id.error()))
    co_return id.error();
  co_return f;
}

boost::asio::awaitable<result<model::node_facts>> read_node_facts(connection& conn, deadline until) {
  auto identity = co_await read_identity(conn, until);
  if (!identity)
    co_return identity.error();
  auto f = std::move(*identity);
  auto settings = co_await conn.exec("SELECT pg_catalog.current_setting('wal_level'), "
                                     "pg_catalog.current_setting('max_replication_slots')::int, "
                                     "pg_catalog.pg_is_in_recovery()",
                                     until);
  if (!settings)
    co_return settings.error();
  auto slots = co_await conn.exec("SELECT slot_name FROM pg_catalog.pg_replication_slots", until);
  if (!slots)
    co_return slots.error();
  auto dbs = co_await conn.exec("SELECT datname FROM pg_catalog.pg_database", until);
  if (!dbs)
    co_return dbs.error();
  try {
    if (settings->size() != 1)
      co_return parse_error("expected one row of settings");
    f.wal_level = settings->get<std::string>(0, 0).value_or("");
    f.max_replication_slots = settings->get<int>(0, 1).value_or(0);
    f.in_recovery = settings->get<bool>(0, 2).value_or(false);
    for (int i = 0; i < slots->size(); ++i)
      f.slot_names.insert(slots->get<std::string>(i, 0).value_or(""));
    f.slots_in_use = slots->size();
    for (int i = 0; i < dbs->size(); ++i)
      f.databases.insert(dbs->get<std::string>(i, 0).value_or(""));
  } catch (const std::exception& ex) {
    co_return parse_error(ex.what());
  }
  co_return f;
}

} // namespace slotd::pg::queries
