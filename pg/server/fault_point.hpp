#pragma once
// Fault injection for the fault tests: when the environment variable
// SLOTD_FAULT_KILL_AT names this point, the process kills itself with
// SIGKILL right there (as a crash or `kill -9` would). Nothing in the
// configuration can set it; unset, a fault point costs one getenv.
//
// Points: copy:after_intent, copy:after_stop, copy:after_install,
// install:after_exchange (between replacing a slot directory and removing
// the old one).
#include <string_view>

namespace slotd::pg::server {

void fault_point(std::string_view name);

} // namespace slotd::pg::server
