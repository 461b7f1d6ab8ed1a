#pragma once
// The members reader (members_reader.cpp), spawned by the HA loop when the
// configuration asks for it: `members_from: repmgr` reads repmgr.nodes on
// the local server; `ha_source: pg_auto_failover` reads pgautofailover.node
// on the monitor and also tells the HA loop to promote and follow.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"
#include "config/config.hpp"

namespace slotd::actors {

class io_runtime;

struct members_reader_settings {
  config::members_source source = config::members_source::repmgr;
  std::string conninfo;                  // repmgr: the local server (postgresql.conninfo); else the monitor
  std::string database = "repmgr";       // repmgr: the database that holds repmgr.nodes
  std::string formation = "default";     // pg_auto_failover: this node's formation
  std::string my_name;                   // pg_auto_failover: pgautofailover_standby_<this node's id>
  std::optional<std::uint16_t> api_port; // each member's slotd API port, if known
  std::chrono::milliseconds interval{10000}; // loop_wait
  std::chrono::milliseconds first_read_after{0};
  // pg_auto_failover: after a promote or follow the HA loop refused (busy),
  // the next read comes this soon.
  std::chrono::milliseconds retry_after{500};
};

members_reader_actor spawn_members_reader(caf::actor_system& sys, io_runtime& io, members_reader_settings settings,
                                          ha_loop_actor ha);

} // namespace slotd::actors
