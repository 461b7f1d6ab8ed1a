#pragma once
// Coroutines that run one query and parse its rows: what the local and the
// leader connections both read every cycle.
#include <algorithm>
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
  // The rows of read_node's `extra` statements, in order; empty with
  // `extra_error` when they failed (the state and the slots were then read
  // again alone).
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
// When the batch fails and there were extras, the state and the slots are
// read again alone, until `until` or, when that is later, `retry_budget`
// from then (a batch that timed out leaves no time): a failing extra costs
// one more round trip, never the node's state; its error is `extra_error`.
template <class State>
boost::asio::awaitable<result<node_read<State>>> read_node(connection& conn, std::string sql, deadline until,
                                                            result<State> (*parse)(const rows&),
                                                            std::vector<std::string> extra = {},
                                                            std::chrono::milliseconds retry_budget = {}) {
  const int version = conn.server_version();
  std::vector<std::string> statements; // (a braced list inside co_await trips g++ 12)
  statements.push_back(sql);
  statements.push_back(list_slots_sql(version));
  const std::size_t core = statements.size();
  const bool with_extra = !extra.empty();
  for (auto& x : extra)
    statements.push_back(std::move(x));
  auto all = co_await conn.exec_batch(std::move(statements), until);
  std::optional<error> extra_error;
  if (!all && with_extra) {
    extra_error = all.error();
    std::vector<std::string> alone;
    alone.push_back(std::move(sql));
    alone.push_back(list_slots_sql(version));
    auto again = std::max(until, clock::now() + retry_budget);
    all = co_await conn.exec_batch(std::move(alone), again);
  }
  if (!all)
    co_return all.error();
  auto state = parse((*all)[0]);
  if (!state)
    co_return state.error();
  auto slots = parse_slot_cache((*all)[1], version);
  if (!slots)
    co_return slots.error();
  node_read<State> out{std::move(*state), std::move(*slots), {}, std::move(extra_error)};
  for (std::size_t i = core; i < all->size(); ++i)
    out.extra.push_back(std::move((*all)[i]));
  co_return out;
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
