#pragma once
// What the HA loop is started with.
#include <chrono>
#include <optional>
#include <string>

#include "config/config.hpp"

namespace slotd::actors {

struct ha_settings {
  config::config cfg;
  // Run the server's stop/start commands through `runuser -u USER --` (only
  // meaningful when the agent runs as root, i.e. in tests).
  std::optional<std::string> run_as;
  // How often leader positions are refreshed and logical advances scheduled,
  // independently of loop_wait (freshness of the replicas' copies).
  std::chrono::milliseconds advance_interval{1000};
  // Bounds of the requests the loop makes to the other actors.
  std::chrono::milliseconds request_timeout{15000};
};

} // namespace slotd::actors
