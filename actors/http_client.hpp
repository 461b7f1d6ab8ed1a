#pragma once
// A small HTTP/1.1 client on Asio (no CAF): one request to an agent's API,
// with a deadline. slotctl uses it, and so does a promote with handover_from
// (GET /final-positions on the old primary's agent).
#include <chrono>
#include <optional>
#include <string>

#include "config/api_url.hpp"
#include "pg/asio.hpp"

namespace slotd::actors::http {

struct request_spec {
  std::string method = "GET";
  std::string target;
  std::optional<std::string> body;           // JSON
  std::chrono::milliseconds timeout{60000};  // for the answer, after the connection
  std::chrono::milliseconds connect_timeout{5000};
};

struct answer {
  int status = 0;
  std::string content_type;
  std::string body;
};

// The answer, or why there is none (`error`).
struct result {
  std::optional<answer> reply;
  std::string error;
};

boost::asio::awaitable<result> exchange(config::api_url url, request_spec spec, std::optional<std::string> token);

} // namespace slotd::actors::http
