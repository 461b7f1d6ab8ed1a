#include "pg/server/fault_point.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include "pg/client/log.hpp"

namespace slotd::pg::server {

void fault_point(std::string_view name) {
  const char* at = std::getenv("SLOTD_FAULT_KILL_AT");
  if (!at || name != at)
    return;
  logger().warn("fault point {}: SLOTD_FAULT_KILL_AT says die here (SIGKILL)", name);
  logger().flush();
  ::kill(::getpid(), SIGKILL);
}

} // namespace slotd::pg::server
