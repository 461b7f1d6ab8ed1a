#include "actors/audit_log.hpp"

#include <stdexcept>

#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/rotating_file_sink.h>

#include "actors/json_text.hpp"

namespace slotd::actors {

nlohmann::ordered_json audit_json(const model::audit_event& e) {
  using json = nlohmann::ordered_json;
  auto lsn = [](const std::optional<pg::lsn>& l) { return l ? json(l->str()) : json(nullptr); };
  json j{{"seq", e.seq},
         {"run", e.run},
         {"time", iso_time(e.at)},
         {"node", e.node},
         {"actor", e.actor},
         {"action", std::string(model::to_string(e.action))},
         {"slot", e.slot.empty() ? json(nullptr) : json(e.slot)},
         {"before", lsn(e.before)},
         {"after", lsn(e.after)},
         {"rule", e.rule},
         {"detail", e.detail}};
  if (e.action == model::audit_action::advance)
    j["advances"] = e.advances;
  return j;
}

audit_file::audit_file(const std::string& path) : path_(path) {
  try {
    auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(path, 64u << 20, 3);
    pool_ = std::make_shared<spdlog::details::thread_pool>(8192, 1);
    logger_ = std::make_shared<spdlog::async_logger>("audit", sink, pool_, spdlog::async_overflow_policy::overrun_oldest);
    logger_->set_pattern("%v");
    logger_->set_level(spdlog::level::info);
    logger_->flush_on(spdlog::level::info);
  } catch (const std::exception& e) {
    throw std::runtime_error("log.audit_file " + path + ": " + e.what());
  }
}

audit_file::~audit_file() {
  // The logger first: its thread pool drains the queue and joins.
  logger_.reset();
  pool_.reset();
}

void audit_file::write(const model::audit_event& e) {
  logger_->info("{}", audit_json(e).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

std::uint64_t audit_file::dropped() const { return pool_ ? pool_->overrun_counter() : 0; }

} // namespace slotd::actors
