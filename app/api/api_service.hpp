#pragma once
// The control plane of one agent: the HTTP server on the agent's I/O
// thread, in front of the agent's api gateway actor (the agent owns it).
// Started after the agent, stopped before it.
#include <cstdint>
#include <memory>

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"
#include "app/api/http_server.hpp"
#include "config/config.hpp"

namespace slotd::actors {
class agent;
class io_runtime;
} // namespace slotd::actors

namespace slotd::api {

// server_options for `api` (token read from api.token_file). Throws
// std::runtime_error saying what is wrong with the token file.
server_options options_from(const config::api_config& api);

class api_service {
public:
  // Throws std::runtime_error when it cannot listen.
  api_service(caf::actor_system& sys, actors::io_runtime& io, const actors::agent& agent, server_options options);
  ~api_service();
  api_service(const api_service&) = delete;
  api_service& operator=(const api_service&) = delete;

  std::uint16_t port() const { return server_->port(); }
  actors::api_gateway_actor gateway() const { return gateway_; }

  // Closes the server (before the agent's shutdown); no answer of the
  // gateway reaches the I/O thread afterwards. Idempotent.
  void stop();

  // SIGHUP: reads api.token_file again and puts that token (or none, when
  // the key is gone) in force. Throws std::runtime_error saying what is
  // wrong with the file; the current token then stays. Returns false when
  // api.listen differs from the address served: that needs a restart.
  bool reload(const config::api_config& api);

private:
  config::listen_address listen_;
  caf::actor_system& sys_;
  actors::api_gateway_actor gateway_;
  std::unique_ptr<http_server> server_;
};

} // namespace slotd::api
