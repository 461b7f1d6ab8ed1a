#pragma once
// slotd's HTTP/1.1 API server (docs/api.md) on the agent's Asio I/O
// thread. Beast stays inside http_server.cpp: this header is cheap.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "actors/interfaces.hpp"
#include "app/api/connection_limits.hpp"
#include "app/api/routes.hpp"
#include "config/config.hpp"

namespace boost::asio {
class io_context;
}

namespace slotd::api {

struct server_options {
  config::listen_address listen;
  auth_policy auth;
  std::size_t body_limit = 1024 * 1024;                  // 413 above
  std::size_t header_limit = 16 * 1024;                  // 431 above
  std::chrono::milliseconds header_timeout{10000};       // to receive a request's header (also keep-alive idle)
  std::chrono::milliseconds read_timeout{30000};         // to receive its body
  std::chrono::milliseconds write_timeout{30000};        // to send the answer
  connection_limits connections;                         // per client address and in all
  // Added to the gateway's own deadline before the server answers 503 itself.
  std::chrono::milliseconds answer_margin{5000};
};

class http_server {
public:
  // Binds at once (throws std::runtime_error saying what failed, e.g. the
  // address in use), then accepts on `io`'s thread. Port 0: any free port.
  http_server(boost::asio::io_context& io, actors::api_gateway_actor gateway, server_options options);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // The bound port.
  std::uint16_t port() const;

  // Stops accepting and closes every connection (answers in progress are
  // dropped). Call from any thread but the I/O thread; idempotent.
  void stop();

  // Puts `auth` in force for every request read from now on (connections
  // stay open). Call from any thread but the I/O thread.
  void set_auth(auth_policy auth);

  struct core;

private:
  std::shared_ptr<core> core_;
};

} // namespace slotd::api
