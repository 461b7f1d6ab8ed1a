#pragma once
// slotctl's HTTP client: one request to an agent, or several at once (each
// with its own deadline), on actors/http_client. Blocking is fine in a
// command-line client.
#include <optional>
#include <string>
#include <vector>

#include "actors/http_client.hpp"
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

using request_spec = actors::http::request_spec;
using http_answer = actors::http::answer;
using call_result = actors::http::result;

struct unreachable {
  std::string message;
};

// One request; throws unreachable when there is no answer.
http_answer perform(const config::api_url& url, const request_spec& spec, const std::optional<std::string>& token);

// Several requests at once. Each ends with its answer or with why there is
// none; none waits for another.
struct call {
  config::api_url url;
  request_spec spec;
};
std::vector<call_result> perform_all(const std::vector<call>& calls, const std::optional<std::string>& token);

} // namespace slotd::slotctl
