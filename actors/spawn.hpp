#pragma once
// Spawning slotd's actors. Each returns the narrow public handle.
#include <chrono>
#include <string>

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"
#include "actors/ha_settings.hpp"
#include "pg/client/connection.hpp"

namespace slotd::actors {

class io_runtime;

local_connection_actor spawn_local_connection(caf::actor_system& sys, io_runtime& io, pg::connection_options options);

leader_connection_actor spawn_leader_connection(caf::actor_system& sys, io_runtime& io);

// One per database: its own connection (statement_timeout=0), coalesced
// targets, reports to `ha`.
advance_worker_actor spawn_advance_worker(caf::actor_system& sys, io_runtime& io, pg::connection_options options,
                                          std::string database, ha_loop_actor ha);

ha_loop_actor spawn_ha_loop(caf::actor_system& sys, io_runtime& io, ha_settings settings,
                            local_connection_actor local, leader_connection_actor leader);

promote_handler_actor spawn_promote_handler(caf::actor_system& sys, ha_loop_actor ha);

} // namespace slotd::actors
