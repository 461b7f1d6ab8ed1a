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

template <class State>
struct node_read {
  State state;
  model::slot_cache slots;
};

// The server's replication slots as the slot model sees them, from a
// list_slots_sql result of a server of `server_version`.
result<model::slot_cache> parse_slot_cache(const rows& r, int server_version);

// A node's state (one parameter-free query, parsed by `parse`) and its
// slots, sent together (one round trip) under one deadline: what the local
// and the leader connections read every tick.
template <class State>
boost::asio::awaitable<result<node_read<State>>> read_node(connection& conn, std::string sql, deadline until,
                                                            result<State> (*parse)(const rows&)) {
  const int version = conn.server_version();
  std::vector<std::string> statements; // (a braced list inside co_await trips g++ 12)
  statements.push_back(std::move(sql));
  statements.push_back(list_slots_sql(version));
  auto both = co_await conn.exec_batch(std::move(statements), until);
  if (!both)
    co_return both.error();
  auto state = parse((*both)[0]);
  if (!state)
    co_return state.error();
  auto slots = parse_slot_cache((*both)[1], version);
  if (!slots)
    co_return slots.error();
  co_return node_read<State>{std::move(*state), std::move(*slots)};
}

// The leader's serialized decoding snapshot at `restart` (the restart_lsn
// of `slot`'s state file, docs/slot-rules.md Q10):
// - the file's bytes;
// - none (empty bytes), when there is no file and the slot's restart_lsn
//   is still `restart`: the slot never serialized one there (it has not
//   moved since its creation), and decoding from there is consistent at or
//   before its confirmed_flush_lsn, on the leader as on a copy;
// - `unusable` with the reason otherwise: the slot moved on while its files
//   were read and a checkpoint removed the file (the copy must not go
//   without it), or the file could not be read.
// The result's error is a failure of the connection itself.
struct snapshot_read {
  std::string bytes;
  std::string unusable;
};
boost::asio::awaitable<result<snapshot_read>> read_snapshot_at(connection& conn, std::string slot, lsn restart,
                                                               deadline until);

} // namespace slotd::pg::queries
