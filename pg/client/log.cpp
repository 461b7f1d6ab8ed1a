#include "pg/client/log.hpp"

#include <spdlog/spdlog.h>

namespace slotd::pg {

spdlog::logger& logger() {
  // Looked up per call (cheap registry lookup) so that an application which
  // registers "pg" after we first logged still gets our lines.
  if (auto l = spdlog::get("pg"))
    return *l;
  static std::shared_ptr<spdlog::logger> fallback = spdlog::default_logger()->clone("pg");
  return *fallback;
}

} // namespace slotd::pg
