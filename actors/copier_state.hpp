#pragma once
// The slot copier's state (actors/slot_copier.cpp), shared with the part
// that starts the server after a copy and answers a shutdown
// (actors/copier_start.cpp).
#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/interfaces.hpp"
#include "actors/spawn.hpp"

namespace slotd::actors {

class io_runtime;

namespace copier {

inline std::shared_ptr<spdlog::logger> log_slots() { return spdlog::get("slots"); }

struct copier_state {
  copier_state() = default;
  copier_settings settings;
  io_runtime* io = nullptr;
  local_connection_actor local;
  leader_connection_actor leader;
  ha_loop_actor ha;
  copy_report current; // the copy under way (or the last one)
  std::vector<std::string> recopies; // of the copy under way
  bool cancelled = false;
  // Read by the restart coroutine right before the stop (set by a cancel
  // that comes while the files are being staged).
  std::shared_ptr<std::atomic<bool>> cancel_stop;
  bool draining = false; // the agent is shutting down: no new copy
  bool starting = false; // a start attempt after a copy is under way
  bool drain_started = false; // a start attempt made after the shutdown began
  std::uint64_t epoch = 0;
  std::chrono::milliseconds backoff{1000};
  std::vector<caf::typed_response_promise<bool>> drains;
  copier_counts counts;
  std::uint64_t start_retries = 0;
  std::set<std::string> creating; // copies being created on this replica
  std::string last;
  std::map<std::string, std::string> causes; // of the copy under way
  std::deque<nlohmann::json> restart_log;    // the last restarts: when, what, why, how long
};

constexpr std::size_t restart_log_size = 20;

using self_ptr = slot_copier_private::stateful_pointer<copier_state>;

// Sends the copy under way to the HA loop.
void report(self_ptr self);
// Answers every shutdown that waits for the copier.
void answer_drains(self_ptr self);
// The server runs again after a copy (or a recovered one): the intent
// record is gone, the copier is idle.
void server_back(self_ptr self);
// One more start while the server is down (after a copy, or at agent start
// when an intent record says a copy was interrupted).
void retry_start(self_ptr self, unsigned attempts);
// A start after a copy failed: retried with backoff, or, at a shutdown,
// what pg/model/copier_drain.hpp says.
void after_failed_start(self_ptr self, bool started_since_shutdown);
// Copies created again without a restart: into the re-copy history.
void record_recopies(self_ptr self, std::vector<std::string> slots);
// Copies by creation (actors/copier_create.cpp).
void on_create_order(self_ptr self, create_order& order);
// The shutdown was asked (stop_atom): the answer now (true), or a promise
// answered once no copy holds the server.
caf::result<bool> on_shutdown(self_ptr self);

} // namespace copier
} // namespace slotd::actors
