#pragma once
// The HTTP API's routing and request checks (docs/api.md), as plain
// functions over the parts of a request: no Beast, no CAF, no I/O, so every
// rule is unit-tested without a server. What needs the agent's state
// (unknown members, the view as a whole) is checked by the actors.
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "actors/messages.hpp"
#include "app/api/replies.hpp"

namespace slotd::api {

// The parts of a request the API looks at (after Beast read it within the
// size limit).
struct http_request_parts {
  std::string_view method;        // "GET", "POST", ...
  std::string_view target;        // "/status", "/status?x=1"
  std::string_view content_type;  // empty when absent
  std::string_view authorization; // empty when absent; never logged
  std::string_view body;
};

// Mutations need "Authorization: Bearer <token>" when a token is set.
struct auth_policy {
  std::optional<std::string> token;
};

// Either an answer right away (an error, 4xx) or a command for the gateway.
using route_result = std::variant<api_reply, actors::api_command>;

route_result route(const http_request_parts& req, const auth_policy& auth);

// The path of a request target: without its query string.
std::string_view path_of(std::string_view target);

// `target` as the access log shows it: the path, and "?…" in place of a
// query string, which may carry secrets (?token=...).
std::string loggable_target(std::string_view target);

// The methods `path` answers, as 405's Allow header lists them ("GET, HEAD"
// for reads); nullopt: unknown path.
std::optional<std::string> allowed_method(std::string_view path);

// True when `given` equals `expected`, in time that does not depend on where
// they differ (nor on the expected token's length).
bool constant_time_equal(std::string_view given, std::string_view expected);

} // namespace slotd::api
