#pragma once
#include <string>

#include "config/config.hpp"

namespace slotd::app {

// Runs the agent until SIGTERM/SIGINT; SIGHUP re-reads `config_path`,
// SIGUSR1 prints the merged actor-state dump on stdout. Returns the exit code.
int run_agent(const config::config& cfg, const std::string& config_path);

} // namespace slotd::app
