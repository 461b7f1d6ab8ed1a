#pragma once
// slotctl's HTTP client: one request to an agent, or several at once (each
// with its own deadline). Blocking is fine in a command-line client.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "config/api_url.hpp"

namespace slotd::slotctl {

// Exit codes (docs/api.md, slotctl).
inline constexpr int exit_ok = 0;
inline constexpr int exit_refused = 1;     // the agent answered 4xx/5xx (readiness: 503 = not ready)
inline constexpr int exit_usage = 2;       // bad command line or input file
inline constexpr int exit_unreachable = 3; // no answer from the agent

// A bad command line: printed with a pointer to --help, exit 2.
struct usage_error {
  std::string message;
};

struct request_spec {
  std::string method = "GET";
  std::string target;
  std::optional<std::string> body; // JSON
  std::chrono::milliseconds timeout{60000}; // for the answer, after the connection
};

struct http_answer {
  int status = 0;
  std::string content_type;
  std::string body;
};

struct unreachable {
  std::string message;
};

// One request; throws unreachable when there is no answer.
http_answer perform(const config::api_url& url, const request_spec& spec, const std::optional<std::string>& token);

// Several requests at once. Each ends with its answer or with why there is
// none (`error`); none waits for another.
struct call {
  config::api_url url;
  request_spec spec;
};
struct call_result {
  std::optional<http_answer> answer;
  std::string error;
};
std::vector<call_result> perform_all(const std::vector<call>& calls, const std::optional<std::string>& token);

} // namespace slotd::slotctl
