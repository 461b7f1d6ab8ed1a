#pragma once
// JSON text for dumps and replies. Names and messages come from PostgreSQL
// and may not be UTF-8 (a slot named in a SQL_ASCII database): invalid bytes
// are replaced (U+FFFD) instead of throwing, which would end the actor.
#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

namespace slotd::actors {

inline std::string json_text(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

// "2026-12-01T07:41:06.123Z"; "" for the epoch (never happened). In ha_report.cpp.
std::string iso_time(std::chrono::system_clock::time_point t);

} // namespace slotd::actors
