#pragma once
// What the HA loop is started with.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"
#include "config/config.hpp"
#include "pg/model/sampling.hpp"

namespace slotd::actors {

class audit_file;

// What the HA loop spawns besides itself: the slot copier and one advance
// worker per database. Empty: the real ones (actors/spawn.hpp); the
// virtual-time tests of the loop give fakes.
struct ha_spawners {
  std::function<slot_copier_actor(caf::actor_system&, ha_loop_actor)> copier;
  std::function<advance_worker_actor(caf::actor_system&, const std::string& database, ha_loop_actor)> worker;
  // Runs a blocking probe (the statvfs of pg_wal). Empty: on the probe
  // thread (actors/probe_thread.hpp); the virtual-time tests run it in place.
  std::function<void(std::function<void()>)> probe;
};

struct ha_settings {
  config::config cfg;
  // Run the server's stop/start commands through `runuser -u USER --` (only
  // meaningful when the agent runs as root, i.e. in tests).
  std::optional<std::string> run_as;
  // How often a replica samples its leader's slot positions between full
  // cycles (pg/model/sampling.hpp): the fastest while they move, backing off
  // to the slowest while they don't (freshness of the replicas' copies).
  model::sampling_limits sampling;
  // Bounds of the requests the loop makes to the other actors.
  std::chrono::milliseconds request_timeout{15000};
  // log.audit_file, opened by the caller (null: audit events only in GET /events).
  std::shared_ptr<audit_file> audit_out;
  ha_spawners spawners;
};

} // namespace slotd::actors
