#pragma once
// What a SIGHUP cannot apply. The running agent keeps these values until it
// restarts (the slot copier, the local connection, the loggers are built
// once); a reloaded file that changes them is applied in part, and the
// operator must be told which part waits.
#include <string>
#include <vector>

#include "config/config.hpp"

namespace slotd::config {

// The keys whose value differs between `running` (the configuration the
// agent started with) and `reloaded`, among those applied only at the next
// start. api.listen is not listed: the API service reports it itself.
std::vector<std::string> keys_needing_restart(const config& running, const config& reloaded);

} // namespace slotd::config
