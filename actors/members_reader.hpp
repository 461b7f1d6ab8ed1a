#pragma once
// The members reader of `members_from: repmgr` (members_reader.cpp),
// spawned by the HA loop when the configuration asks for it.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"

namespace slotd::actors {

class io_runtime;

struct members_reader_settings {
  std::string conninfo;                  // the local server (postgresql.conninfo)
  std::string database = "repmgr";       // ... and the database that holds repmgr.nodes
  std::optional<std::uint16_t> api_port; // each member's slotd API port, if known
  std::chrono::milliseconds interval{10000}; // loop_wait
  std::chrono::milliseconds first_read_after{0};
};

members_reader_actor spawn_members_reader(caf::actor_system& sys, io_runtime& io, members_reader_settings settings,
                                          ha_loop_actor ha);

} // namespace slotd::actors
