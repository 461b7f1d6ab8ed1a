#pragma once
// Coroutines that run one query and parse its rows: what the local and the
// leader connections both read every cycle.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "pg/client/connection.hpp"
#include "pg/client/error.hpp"
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
  // The rows of read_node's `extra` statements, in order; none, with
  // `extra_error`, when one of them failed.
  std::vector<rows> extra;
  std::optional<error> extra_error;
};

// The server's replication slots as the slot model sees them, from a
// list_slots_sql result of a server of `server_version`.
result<model::slot_cache> parse_slot_cache(const rows& r, int server_version);

// A node's state (one parameter-free query, parsed by `parse`) and its
// slots, sent together (one round trip) under one deadline: what the local
// and the leader connections read every tick. `extra` parameter-free
// statements go in the same round trip, after them (the local connection's
// operator figures of a full cycle): one wake-up of the I/O thread for all.
// A failure of the node's statements is the result's error; one of the
// extras (the server runs none after it) leaves the state and the slots
// read, with `extra_error` and no extra rows.
template <class State>
boost::asio::awaitable<result<node_read<State>>> read_node(connection& conn, std::string sql, deadline until,
                                                            result<State> (*parse)(const rows&),
                                                            std::vector<std::string> extra) {
  const int version = conn.server_version();
  std::vector<std::string> statements; // (a braced list inside co_await trips g++ 12)
  statements.push_back(std::move(sql));
  statements.push_back(list_slots_sql(version));
  const std::size_t core = statements.size();
  for (auto& x : extra)
    statements.push_back(std::move(x));
  auto all = co_await conn.exec_batch_outcome(std::move(statements), until);
  if (all.results.size() < core) {
    error missing;
    missing.call = "exec";
    missing.message = "the node's statements returned no result";
    co_return all.failure ? *all.failure : missing;
  }
  auto state = parse(all.results[0]);
  if (!state)
    co_return state.error();
  auto slots = parse_slot_cache(all.results[1], version);
  if (!slots)
    co_return slots.error();
  node_read<State> out{std::move(*state), std::move(*slots), {}, std::move(all.failure)};
  if (!out.extra_error)
    for (std::size_t i = core; i < all.results.size(); ++i)
      out.extra.push_back(std::move(all.results[i]));
  co_return out;
}

// The same without extras.
template <class State>
boost::asio::awaitable<result<node_read<State>>> read_node(connection& conn, std::string sql, deadline until,
                                                            result<State> (*parse)(const rows&)) {
  std::vector<std::string> none;
  co_return co_await read_node(conn, std::move(sql), until, parse, std::move(none));
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
