#pragma once
// The api gateway (docs/design.md §2): turns the HTTP API's commands into
// typed requests to the HA loop and the promote handler, each with a finite
// timeout, and their replies into HTTP-level answers. No slot logic here.
#include <chrono>

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"

namespace slotd::actors {

// How long the gateway waits for each kind of answer.
struct api_timeouts {
  std::chrono::milliseconds read{5000};    // status, readiness, health, metrics, each dump
  std::chrono::milliseconds demote{30000};
  std::chrono::milliseconds cluster{10000};
  std::chrono::milliseconds pause{5000};
  // A promote: its own deadline (pg/model/promote_deadline.hpp).
};

api_gateway_actor spawn_api_gateway(caf::actor_system& sys, ha_loop_actor ha, promote_handler_actor promote,
                                    api_timeouts timeouts = {});

// The longest the gateway may take to answer `cmd` (a caller's own deadline
// must be later, or it gives up on an answer that is still coming).
std::chrono::milliseconds gateway_deadline(const api_command& cmd, const api_timeouts& timeouts = {});

} // namespace slotd::actors
