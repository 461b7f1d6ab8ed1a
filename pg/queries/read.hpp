#pragma once
// Coroutines that run one query and parse its rows: what the local and the
// leader connections both read every cycle.
#include "pg/client/connection.hpp"
#include "pg/model/local_slot.hpp"
#include "pg/queries/node_state.hpp"
#include "pg/queries/slots.hpp"

namespace slotd::pg::queries {

// exec + parse; a failure of either is the result's error.
template <class Parse>
auto query_parsed(connection& conn, std::string sql, params parameters, deadline until, Parse parse)
    -> boost::asio::awaitable<decltype(parse(std::declval<const rows&>()))> {
  auto r = co_await conn.exec(std::move(sql), std::move(parameters), until);
  if (!r)
    co_return r.error();
  co_return parse(*r);
}

// The server's replication slots as the slot model sees them
// (list_slots_sql for this server's version).
boost::asio::awaitable<result<model::slot_cache>> read_slot_cache(connection& conn, deadline until);

} // namespace slotd::pg::queries
