#pragma once
// What the HA loop is started with.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "pg/model/sampling.hpp"

namespace slotd::actors {

class audit_file;

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
};

} // namespace slotd::actors
