#pragma once
// The HTTP API's answers (docs/api.md) built from the actors' typed
// replies: plain functions, no CAF, no I/O.
#include <string>

#include <nlohmann/json.hpp>

#include "actors/messages.hpp"

namespace slotd::actors {

// The HTTP status of a refusal: 200 none, 400 bad_request, 409 busy, 503
// unavailable (docs/api.md).
int http_status(refusal r);

// {"error": message} with `status` (4xx/5xx).
api_reply error_reply(int status, const std::string& message);
// `body` serialised compactly, application/json.
api_reply json_reply(int status, const nlohmann::json& body);

// 200 {"role","ready","unsafe","advanced"}, or the error.
api_reply to_api_reply(const promote_reply& r);
// 200 {"role","leader"}, or the error (400 unknown member, 409 busy).
api_reply to_api_reply(const demote_reply& r);
// 200 the new view, or 400 with what was wrong.
api_reply to_api_reply(const cluster_update_reply& r);
// 200 when ready, else 503; the HA loop's JSON (ready, unready, as_of) either way.
api_reply to_api_reply(const readiness_reply& r);
api_reply to_api_reply(const final_positions_reply& r);
// 200 when the loop runs and the local server answers, else 503.
api_reply to_api_reply(const health_reply& r);
// 200 {"node","run","next","missed","events":[...]}.
api_reply to_api_reply(const events_reply& r);

// Prometheus text exposition, version 0.0.4.
inline constexpr const char* metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

} // namespace slotd::actors
