#pragma once
// Which connections the HTTP API keeps when clients hold many open: no
// client may lock the HA manager out of POST /promote by opening
// connections and sending nothing. Pure: http_server.cpp keeps the table of
// open connections and asks admit() about each new one.
//
// - One client address holds at most `per_peer` connections, all clients
//   together at most `total`.
// - A new connection over a limit takes the place of an idle one (waiting
//   for a request, or for the rest of one), never of one whose request is
//   being answered. Over `per_peer`: its own client's longest idle one.
//   Over `total`: the longest idle one of the client holding the most
//   connections if that client holds more than the new connection's, else
//   the new connection's client's own longest idle one.
// - With no such connection to close, the new one is closed at once.
// Idle connections also end at the header timeout (server_options).
#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slotd::api {

struct connection_limits {
  std::size_t total = 256;
  std::size_t per_peer = 64; // a host may run several clients (HA agent, monitoring)
};

// One open connection, as admit() sees it; `Handle` is the server's own.
template <class Handle>
struct open_connection {
  Handle handle;
  std::string peer;  // the client's address, without its port
  bool busy = false; // a request of it is being answered
  std::chrono::steady_clock::time_point idle_since{};
};

template <class Handle>
struct admission {
  bool accept = false;
  std::optional<Handle> close_first; // with accept: the connection to close to make room
};

template <class Handle>
admission<Handle> admit(const std::vector<open_connection<Handle>>& open, std::string_view peer,
                        const connection_limits& limits) {
  std::map<std::string_view, std::size_t> held;
  for (const auto& c : open)
    ++held[c.peer];
  const std::size_t mine = held[peer];
  const bool own_limit = mine >= limits.per_peer;
  if (!own_limit && open.size() < limits.total)
    return {true, std::nullopt};
  // Over its own limit the client gives up one of its own; over the total,
  // the client holding the most does if it holds more than this one, else
  // this one does.
  const open_connection<Handle>* victim = nullptr;
  for (const auto& c : open) {
    const bool own = c.peer == peer;
    if (c.busy || (own_limit && !own) || (!own && held[c.peer] <= mine))
      continue;
    if (!victim || held[c.peer] > held[victim->peer] ||
        (held[c.peer] == held[victim->peer] && c.idle_since < victim->idle_since))
      victim = &c;
  }
  if (!victim)
    return {false, std::nullopt};
  return {true, victim->handle};
}

} // namespace slotd::api
