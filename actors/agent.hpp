#pragma once
// The whole agent: the I/O thread and every actor, wired; what app/ and the
// integration tests start and stop.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "actors/ha_settings.hpp"
#include "actors/interfaces.hpp"

namespace slotd::actors {

class io_runtime;

class agent {
public:
  // Called (in an actor, on the I/O thread) when a core actor (HA loop, connections, api gateway,
  // promote handler) ends with an error: an agent without one of them is
  // alive but useless, so the program should exit non-zero and be restarted
  // (systemd's Restart=on-failure). The text says which actor and why.
  using failure_handler = std::function<void(const std::string&)>;

  // Needs the loggers "ha", "slots", "pg" (see make_loggers).
  agent(caf::actor_system& sys, io_runtime& io, ha_settings settings, failure_handler on_failure = {});
  ~agent();
  agent(const agent&) = delete;
  agent& operator=(const agent&) = delete;

  ha_loop_actor ha() const { return ha_; }
  promote_handler_actor promote_handler() const { return promote_; }
  // The HTTP API's door to this agent's actors (it ends with the agent).
  api_gateway_actor gateway() const { return gateway_; }

  // GET /state (one entry per actor, from the gateway), as indented JSON
  // text. Blocks the calling thread: for main() and tests, never for actors.
  // The default outlasts the gateway's own bounds (5 s for the list of
  // actors, 5 s for their dumps), so a slow actor shows as its error entry.
  std::string dump_state(std::chrono::milliseconds timeout = std::chrono::seconds(15));

  // Stop every actor and wait for them (the I/O runtime is stopped by its
  // owner afterwards).
  void shutdown();

private:
  caf::actor_system& sys_;
  local_connection_actor local_;
  leader_connection_actor leader_;
  ha_loop_actor ha_;
  promote_handler_actor promote_;
  api_gateway_actor gateway_;
  caf::actor watchdog_;
  bool down_ = false;
};

// Loggers "ha", "slots", "pg", "api" on stderr, text or JSON lines. When
// stderr is the journal (systemd's JOURNAL_STREAM), each line starts with
// its syslog priority and text lines leave the time to the journal
// (actors/log_format.hpp).
void make_loggers(const std::string& level, bool json);

} // namespace slotd::actors
