#include "app/service_notify.hpp"

#ifdef SLOTD_WITH_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace slotd::app {

#ifdef SLOTD_WITH_SYSTEMD
void notify_ready(const std::string& status) { sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str()); }
void notify_status(const std::string& status) { sd_notifyf(0, "STATUS=%s", status.c_str()); }
void notify_stopping() { sd_notify(0, "STOPPING=1"); }
void notify_watchdog() { sd_notify(0, "WATCHDOG=1"); }
std::optional<std::chrono::microseconds> watchdog_interval() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
    return std::chrono::microseconds(usec);
  return std::nullopt;
}
#else
void notify_ready(const std::string&) {}
void notify_status(const std::string&) {}
void notify_stopping() {}
void notify_watchdog() {}
std::optional<std::chrono::microseconds> watchdog_interval() { return std::nullopt; }
#endif

} // namespace slotd::app
