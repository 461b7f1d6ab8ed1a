#pragma once
// The HTTP API's answers (docs/api.md), rendered from the actors' typed
// replies: JSON for every endpoint but /metrics (Prometheus text). Plain
// functions, no CAF, no I/O: what the agent answers is decided in the
// actors; how it looks on the wire, only here.
#include <string>

#include <nlohmann/json.hpp>

#include "actors/messages.hpp"

namespace slotd::api {

// An HTTP-level answer: status code, content type and body.
struct api_reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// The HTTP status of a refusal: 200 none, 400 bad_request, 409 busy, 503
// unavailable (docs/api.md).
int http_status(actors::refusal r);

// {"error": message} with `status` (4xx/5xx).
api_reply error_reply(int status, const std::string& message);
// An LSN as its text, or null.
nlohmann::json opt_lsn(const std::optional<pg::lsn>& l);

// `body` serialised compactly, application/json.
api_reply json_reply(int status, const nlohmann::json& body);

// The gateway's answer as the HTTP API gives it.
api_reply render(const actors::api_answer& answer);

// 503 {"error"}: a part of the agent did not answer.
api_reply to_api_reply(const actors::api_failure& f);
// 200 {"role","ready","unsafe","advanced"}, or the error.
api_reply to_api_reply(const actors::promote_reply& r);
// 200 {"role","leader"}, or the error (400 unknown member, 409 busy).
api_reply to_api_reply(const actors::demote_reply& r);
// 200 the new view, or 400 with what was wrong.
api_reply to_api_reply(const actors::cluster_update_reply& r);
api_reply to_api_reply(const actors::final_positions_reply& r);
// 200 {"node","run","next","missed","events":[...]}.
api_reply to_api_reply(const actors::events_reply& r);
// 200 every actor's dump.
api_reply to_api_reply(const actors::state_reply& r);
// 200 (docs/api.md GET /status).
api_reply to_api_reply(const actors::status_view& v);
// 200 when ready, else 503; the same body either way.
api_reply to_api_reply(const actors::readiness_view& v);
// 200 when the loop runs and the local server answers, else 503.
api_reply to_api_reply(const actors::health_view& v);
// 200 (docs/api.md GET /candidate).
api_reply to_api_reply(const actors::candidate_view& v);
// 200, Prometheus text.
api_reply to_api_reply(const actors::metrics_view& v);

// The JSON bodies of the HA loop's views (app/api/views.cpp).
nlohmann::json status_json(const actors::status_view& v);
nlohmann::json readiness_json(const actors::readiness_view& v);
nlohmann::json health_json(const actors::health_view& v);
nlohmann::json candidate_json(const actors::candidate_view& v);
// GET /final-positions's body (a successful reply).
nlohmann::json final_positions_json(const actors::final_positions_reply& r);
// The Prometheus text exposition (version 0.0.4) of the metric families.
std::string metrics_text(const actors::metrics_view& v);

// Prometheus text exposition, version 0.0.4.
inline constexpr const char* metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

} // namespace slotd::api
