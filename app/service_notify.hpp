#pragma once
// The service manager's notification protocol (systemd's sd_notify, with
// libsystemd when slotd is built with it; no-ops otherwise and when slotd
// does not run under systemd): READY once the API listens and the HA loop
// has run, the watchdog fed while the HA loop answers, STOPPING at shutdown.
#include <chrono>
#include <optional>
#include <string>

namespace slotd::app {

void notify_ready(const std::string& status);
void notify_status(const std::string& status);
void notify_stopping();
void notify_watchdog();
// WatchdogSec of the unit, when the service manager asks for keep-alives.
std::optional<std::chrono::microseconds> watchdog_interval();

} // namespace slotd::app
