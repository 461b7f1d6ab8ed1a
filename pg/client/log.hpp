#pragma once
// The "pg" logger: the application may register its own logger under that
// name (sinks, format); otherwise a clone of spdlog's default logger is used.
#include <memory>

#include <spdlog/logger.h>

namespace slotd::pg {

spdlog::logger& logger();

} // namespace slotd::pg
