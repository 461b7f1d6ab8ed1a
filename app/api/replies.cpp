#include "app/api/replies.hpp"

#include <type_traits>

#include "actors/audit_log.hpp"
#include "actors/json_text.hpp"
#include "actors/view_json.hpp"

namespace slotd::api {

using namespace actors;

namespace {

using json = nlohmann::json;

// A body an actor serialised: passed through as it is (it is our own JSON).
api_reply raw_json(int status, std::string body) { return {status, "application/json", std::move(body)}; }

} // namespace

api_reply error_reply(int status, const std::string& message) {
  return json_reply(status, json{{"error", message}});
}

api_reply json_reply(int status, const json& body) {
  // replace: a member or slot name with invalid UTF-8 must not throw here.
  return raw_json(status, body.dump(-1, ' ', false, json::error_handler_t::replace));
}

int http_status(refusal r) {
  switch (r) {
  case refusal::none: return 200;
  case refusal::bad_request: return 400;
  case refusal::busy: return 409;
  case refusal::unavailable: return 503;
  }
  return 500;
}

json opt_lsn(const std::optional<pg::lsn>& l) { return l ? json(l->str()) : json(nullptr); }

api_reply to_api_reply(const promote_reply& r) {
  if (r.refused != refusal::none)
    return error_reply(http_status(r.refused), r.error);
  json advanced = json::object();
  for (auto& [slot, at] : r.advanced)
    advanced[slot] = at.str();
  json body{{"role", r.role}, {"ready", r.ready}, {"unsafe", r.unsafe}, {"reasons", r.reasons}, {"advanced", advanced}};
  if (r.handover)
    body["handover"] = {{"from", r.handover->from},
                        {"handed_over", r.handover->handed_over},
                        {"from_samples", r.handover->from_samples},
                        {"not_reached", r.handover->not_reached},
                        {"checkpoint_lsn", opt_lsn(r.handover->checkpoint_lsn)},
                        {"error", r.handover->error.empty() ? json(nullptr) : json(r.handover->error)}};
  return json_reply(200, body);
}

api_reply to_api_reply(const demote_reply& r) {
  if (r.refused != refusal::none)
    return error_reply(http_status(r.refused), r.error);
  return json_reply(200, json{{"role", r.role}, {"leader", r.leader}});
}

api_reply to_api_reply(const cluster_update_reply& r) {
  if (r.refused != refusal::none)
    return error_reply(http_status(r.refused), r.error);
  return json_reply(200, view_json(r.view));
}

api_reply to_api_reply(const final_positions_reply& r) {
  if (r.refused != refusal::none)
    return error_reply(http_status(r.refused), r.error);
  return json_reply(200, final_positions_json(r));
}

api_reply to_api_reply(const api_failure& f) { return error_reply(http_status(f.refused), f.message); }

api_reply to_api_reply(const state_reply& r) { return json_reply(200, r.dumps); }

api_reply to_api_reply(const status_view& v) { return json_reply(200, status_json(v)); }

api_reply to_api_reply(const readiness_view& v) { return json_reply(v.ready ? 200 : 503, readiness_json(v)); }

api_reply to_api_reply(const health_view& v) { return json_reply(v.ok ? 200 : 503, health_json(v)); }

api_reply to_api_reply(const candidate_view& v) { return json_reply(200, candidate_json(v)); }

api_reply to_api_reply(const metrics_view& v) { return {200, metrics_content_type, metrics_text(v)}; }

api_reply render(const api_answer& answer) {
  return std::visit([](const auto& a) { return to_api_reply(a); }, answer);
}

api_reply to_api_reply(const events_reply& r) {
  using ordered = nlohmann::ordered_json;
  ordered events = ordered::array();
  for (auto& e : r.events)
    events.push_back(audit_json(e));
  ordered body{{"node", r.node}, {"run", r.run}, {"next", r.next}, {"missed", r.missed}, {"events", std::move(events)}};
  return {200, "application/json", body.dump(-1, ' ', false, ordered::error_handler_t::replace)};
}

} // namespace slotd::api
