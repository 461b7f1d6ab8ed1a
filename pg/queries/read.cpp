#include "pg/queries/read.hpp"

namespace slotd::pg::queries {

boost::asio::awaitable<result<model::slot_cache>> read_slot_cache(connection& conn, deadline until) {
  const int version = conn.server_version();
  auto parse = [version](const rows& r) { return parse_slots(r, version); };
  auto slots = co_await query_parsed(conn, list_slots_sql(version), params{}, until, parse);
  if (!slots)
    co_return slots.error();
  co_return to_slot_cache(*slots);
}

} // namespace slotd::pg::queries
