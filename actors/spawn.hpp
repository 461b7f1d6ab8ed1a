#pragma once
// Spawning slotd's actors. Each returns the narrow public handle.
#include <chrono>
#include <string>

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"
#include "actors/ha_settings.hpp"
#include "pg/client/connection.hpp"
#include "pg/server/server_control.hpp"

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

struct copier_settings {
  pg::server::server_options server; // stop/start of the local server
  std::filesystem::path state_dir;   // the copy intent record
  std::chrono::milliseconds fetch_timeout{35000};
};
copier_settings copier_settings_from(const ha_settings& s);

// Reports every change of phase to `ha`, and ends with it.
slot_copier_actor spawn_slot_copier(caf::actor_system& sys, io_runtime& io, copier_settings settings,
                                    local_connection_actor local, leader_connection_actor leader, ha_loop_actor ha);

promote_handler_actor spawn_promote_handler(caf::actor_system& sys, ha_loop_actor ha);

} // namespace slotd::actors
