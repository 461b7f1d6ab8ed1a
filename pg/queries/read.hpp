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

template <class State>
struct node_read {
  State state;
  model::slot_cache slots;
};

// A node's state (one query, parsed by `parse`) and its slots, under one
// deadline: what the local and the leader connections read every tick.
template <class State>
boost::asio::awaitable<result<node_read<State>>> read_node(connection& conn, std::string sql, deadline until,
                                                            result<State> (*parse)(const rows&)) {
  auto state = co_await query_parsed(conn, std::move(sql), params{}, until, parse);
  if (!state)
    co_return state.error();
  auto slots = co_await read_slot_cache(conn, until);
  if (!slots)
    co_return slots.error();
  co_return node_read<State>{std::move(*state), std::move(*slots)};
}

} // namespace slotd::pg::queries
