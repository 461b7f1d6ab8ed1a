#pragma once
// The audit trail's output: an event as JSON, and log.audit_file, written by
// a thread of its own (a slow or hung disk never holds an actor; when its
// queue is full the oldest lines waiting are dropped, counted by dropped()).
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "pg/model/audit.hpp"

namespace spdlog {
class logger;
namespace details {
class thread_pool;
}
} // namespace spdlog

namespace slotd::actors {

// {"seq","run","time","node","actor","action","slot","before","after","rule","detail"[,"advances"]},
// in that order; unknown positions and an empty slot are null.
nlohmann::ordered_json audit_json(const model::audit_event& e);

class audit_file {
public:
  // Opens `path` for appending (created if missing; rotated at 64 MiB, 3
  // files kept: audit.jsonl → audit.1.jsonl, .2, .3). Throws
  // std::runtime_error saying why it cannot.
  explicit audit_file(const std::string& path);
  ~audit_file();
  audit_file(const audit_file&) = delete;
  audit_file& operator=(const audit_file&) = delete;

  void write(const model::audit_event& e);
  const std::string& path() const { return path_; }
  std::uint64_t dropped() const; // lines dropped with the queue full

private:
  std::string path_;
  std::shared_ptr<spdlog::details::thread_pool> pool_;
  std::shared_ptr<spdlog::logger> logger_;
};

} // namespace slotd::actors
