#include "app/api/routes.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <nlohmann/json.hpp>

#include "app/api/replies.hpp"
#include "actors/json_text.hpp"
#include "config/cluster_update.hpp"
#include "config/duration.hpp"
#include "pg/model/event_number.hpp"

namespace slotd::api {

namespace {

using json = nlohmann::json;
using actors::api_command;

enum class endpoint {
  promote, demote, cluster, pause, resume, state, status, readiness, candidate, final_positions, health, metrics,
  events
};

struct route_entry {
  std::string_view path;
  std::string_view method;
  endpoint what;
};

constexpr std::array<route_entry, 13> routes{{
    {"/promote", "POST", endpoint::promote},
    {"/demote", "POST", endpoint::demote},
    {"/cluster", "PUT", endpoint::cluster},
    {"/pause", "POST", endpoint::pause},
    {"/resume", "POST", endpoint::resume},
    {"/state", "GET", endpoint::state},
    {"/status", "GET", endpoint::status},
    {"/readiness", "GET", endpoint::readiness},
    {"/candidate", "GET", endpoint::candidate},
    {"/final-positions", "GET", endpoint::final_positions},
    {"/health", "GET", endpoint::health},
    {"/metrics", "GET", endpoint::metrics},
    {"/events", "GET", endpoint::events},
}};

const route_entry* find_route(std::string_view path) {
  auto it = std::find_if(routes.begin(), routes.end(), [&](const route_entry& r) { return r.path == path; });
  return it == routes.end() ? nullptr : &*it;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// "application/json", with or without parameters ("; charset=utf-8").
bool is_json_content_type(std::string_view ct) {
  return iequals(trim(ct.substr(0, ct.find(';'))), "application/json");
}

bool authorized(std::string_view header, const std::string& token) {
  constexpr std::string_view scheme = "Bearer ";
  header = trim(header);
  if (header.size() < scheme.size() || !iequals(header.substr(0, scheme.size()), scheme))
    return false;
  return constant_time_equal(trim(header.substr(scheme.size())), token);
}

// A JSON object body, or the 400 that says why it is not one. An empty body
// is an empty object where `body_required` is false.
std::variant<json, api_reply> json_object(std::string_view body, std::string_view what, bool body_required) {
  if (trim(body).empty()) {
    if (body_required)
      return error_reply(400, std::string(what) + " needs a JSON object body");
    return json::object();
  }
  try {
    auto j = json::parse(body);
    if (!j.is_object())
      return error_reply(400, std::string(what) + ": the body must be a JSON object, not " + j.type_name());
    return j;
  } catch (const json::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 3: ..." → from "parse error".
    std::string msg = e.what();
    if (auto p = msg.find("] "); p != std::string::npos)
      msg = msg.substr(p + 2);
    return error_reply(400, std::string(what) + ": malformed JSON: " + msg);
  }
}

// 400 for keys the endpoint does not know (a misspelt "timout" must not be
// silently ignored).
std::optional<api_reply> unknown_keys(const json& j, std::string_view what,
                                              std::initializer_list<std::string_view> known) {
  for (auto& [key, value] : j.items())
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string allowed;
      for (auto k : known)
        allowed += (allowed.empty() ? "'" : ", '") + std::string(k) + "'";
      return error_reply(400, std::string(what) + ": unknown key '" + key + "'" +
                                  (allowed.empty() ? " (no keys are accepted)" : " (accepted: " + allowed + ")"));
    }
  return std::nullopt;
}

// The body as a JSON object with only `known` keys, or the 400 saying why not.
std::variant<json, api_reply> checked_object(std::string_view body, std::string_view what, bool body_required,
                                                     std::initializer_list<std::string_view> known) {
  auto parsed = json_object(body, what, body_required);
  if (auto* j = std::get_if<json>(&parsed))
    if (auto err = unknown_keys(*j, what, known))
      return *err;
  return parsed;
}

route_result promote_command(std::string_view body) {
  auto parsed = checked_object(body, "POST /promote", false, {"timeout", "handover_from"});
  if (auto* err = std::get_if<api_reply>(&parsed))
    return *err;
  auto& j = std::get<json>(parsed);
  actors::promote_request req;
  if (j.contains("timeout")) {
    auto& t = j["timeout"];
    if (!t.is_string())
      return error_reply(400, std::string("POST /promote: timeout must be a duration string with a unit, e.g. "
                                          "\"30s\", not ") + t.type_name() + " " + actors::json_text(t));
    auto d = config::parse_duration(t.get<std::string>());
    if (!d.value)
      return error_reply(400, "POST /promote: timeout: " + d.error);
    req.timeout = *d.value;
  }
  if (j.contains("handover_from")) {
    auto& h = j["handover_from"];
    if (!h.is_string() || h.get<std::string>().empty())
      return error_reply(400, std::string("POST /promote: handover_from must be the old primary's member name, not ") +
                                  h.type_name() + " " + actors::json_text(h));
    req.handover_from = h.get<std::string>();
  }
  return api_command{req};
}

route_result demote_command(std::string_view body) {
  auto parsed = checked_object(body, "POST /demote", true, {"leader"});
  if (auto* err = std::get_if<api_reply>(&parsed))
    return *err;
  auto& j = std::get<json>(parsed);
  if (!j.contains("leader"))
    return error_reply(400, "POST /demote: missing \"leader\": the name of the member to follow");
  auto& l = j["leader"];
  if (!l.is_string() || l.get<std::string>().empty())
    return error_reply(400, std::string("POST /demote: leader must be a member name (a non-empty string), not ") +
                                l.type_name() + " " + actors::json_text(l));
  return api_command{actors::demote_request{l.get<std::string>()}};
}

route_result cluster_command(std::string_view body) {
  // Checked as JSON first: yaml-cpp would also take YAML, and its messages
  // for broken JSON are less clear.
  auto parsed = json_object(body, "PUT /cluster", true);
  if (auto* err = std::get_if<api_reply>(&parsed))
    return *err;
  auto update = config::parse_cluster_update(body, "PUT /cluster");
  if (!update.ok()) {
    std::string msg;
    for (auto& d : update.diagnostics)
      if (d.level == config::severity::error)
        msg += (msg.empty() ? "" : "; ") + config::to_string(d);
    return error_reply(400, msg);
  }
  return api_command{actors::cluster_update_request{std::move(*update.value)}};
}

route_result pause_command(std::string_view body, bool paused) {
  std::string_view what = paused ? "POST /pause" : "POST /resume";
  auto parsed = checked_object(body, what, false, {});
  if (auto* err = std::get_if<api_reply>(&parsed))
    return *err;
  return api_command{actors::pause_request{paused}};
}

// GET /events[?since=SEQ]: the audit events after SEQ (0, or none: all kept).
route_result events_command(std::string_view target) {
  auto q = target.find('?');
  actors::events_request req;
  if (q == std::string_view::npos)
    return api_command{req};
  auto query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    auto param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (param.empty())
      continue;
    auto eq = param.find('=');
    auto key = param.substr(0, eq);
    auto value = eq == std::string_view::npos ? std::string_view{} : param.substr(eq + 1);
    if (key != "since")
      return error_reply(400, "GET /events: unknown parameter '" + std::string(key) + "' (accepted: 'since')");
    auto n = model::parse_event_number(value);
    if (!n)
      return error_reply(400, "GET /events: since must be an event number (0 or more), not '" + std::string(value) +
                                  "'");
    req.since = *n;
  }
  return api_command{req};
}

} // namespace

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

std::string loggable_target(std::string_view target) {
  auto path = path_of(target);
  return std::string(path) + (path.size() < target.size() ? "?…" : "");
}

std::optional<std::string> allowed_method(std::string_view path) {
  if (auto* r = find_route(path))
    return r->method == "GET" ? "GET, HEAD" : std::string(r->method);
  return std::nullopt;
}

route_result route(const http_request_parts& req, const auth_policy& auth) {
  auto path = path_of(req.target);
  auto* r = find_route(path);
  if (!r)
    return error_reply(404, "unknown path '" + std::string(path) +
                                "': the API has /promote, /demote, /cluster, /pause, /resume, /state, /status, "
                                "/readiness, /candidate, /final-positions, /health, /metrics, /events");
  // HEAD is GET without the body (the server drops it).
  const bool head_of_get = req.method == "HEAD" && r->method == "GET";
  if (req.method != r->method && !head_of_get)
    return error_reply(405, "method " + std::string(req.method) + " not allowed on " + std::string(r->path) +
                                ": use " + *allowed_method(r->path));
  bool mutation = r->method != "GET";
  if (mutation && auth.token && !authorized(req.authorization, *auth.token))
    return error_reply(401, req.authorization.empty()
                                ? "this agent needs \"Authorization: Bearer <token>\" on " + std::string(r->method) +
                                      " requests"
                                : "wrong token in the Authorization header (expected: Bearer <token>)");
  if (mutation && !trim(req.body).empty() && !is_json_content_type(req.content_type))
    return error_reply(415, "the body must be JSON with Content-Type: application/json, not '" +
                                std::string(req.content_type.empty() ? "(none)" : req.content_type) + "'");
  switch (r->what) {
  case endpoint::promote: return promote_command(req.body);
  case endpoint::demote: return demote_command(req.body);
  case endpoint::cluster: return cluster_command(req.body);
  case endpoint::pause: return pause_command(req.body, true);
  case endpoint::resume: return pause_command(req.body, false);
  case endpoint::state: return api_command{actors::api_read::state};
  case endpoint::status: return api_command{actors::api_read::status};
  case endpoint::readiness: return api_command{actors::api_read::readiness};
  case endpoint::candidate: return api_command{actors::api_read::candidate};
  case endpoint::final_positions: return api_command{actors::api_read::final_positions};
  case endpoint::health: return api_command{actors::api_read::health};
  case endpoint::metrics: return api_command{actors::api_read::metrics};
  case endpoint::events: return events_command(req.target);
  }
  return error_reply(500, "unrouted endpoint");
}

bool constant_time_equal(std::string_view given, std::string_view expected) {
  // Every byte of `given` is compared (against the expected token repeated),
  // and the length difference is folded in: no early exit.
  unsigned diff = given.size() == expected.size() ? 0u : 1u;
  if (expected.empty())
    return false;
  for (std::size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned char>(given[i]) ^ static_cast<unsigned char>(expected[i % expected.size()]);
  // An empty `given` compares nothing: the size check above already failed it.
  volatile unsigned result = diff;
  return result == 0;
}

} // namespace slotd::api
