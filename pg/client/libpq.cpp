#include "pg/client/libpq.hpp"

#include "pg/client/redact.hpp"

namespace slotd::pg::libpq {

namespace {

std::string trim_trailing_newlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.pop_back();
  return s;
}

std::string field(const PGresult* r, int code) {
  const char* v = PQresultErrorField(r, code);
  return v ? std::string(v) : std::string();
}

} // namespace

std::optional<keyword_values> parse_conninfo(const std::string& conninfo, pg::error* err) {
  char* errmsg = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &errmsg);
  if (!opts) {
    if (err) {
      err->call = "PQconninfoParse";
      err->message = redact_conninfo(trim_trailing_newlines(errmsg ? errmsg : "out of memory"));
    }
    if (errmsg)
      PQfreemem(errmsg);
    return std::nullopt;
  }
  keyword_values kv;
  for (auto* o = opts; o->keyword; ++o)
    if (o->val)
      kv.emplace_back(o->keyword, o->val);
  PQconninfoFree(opts);
  return kv;
}

void set_keyword(keyword_values& kv, const std::string& key, std::string value) {
  for (auto& [k, v] : kv)
    if (k == key) {
      v = std::move(value);
      return;
    }
  kv.emplace_back(key, std::move(value));
}

std::optional<std::string> get_keyword(const keyword_values& kv, const std::string& key) {
  for (const auto& [k, v] : kv)
    if (k == key)
      return v;
  return std::nullopt;
}

conn_ptr connect_start(const keyword_values& kv) {
  std::vector<const char*> keys;
  std::vector<const char*> values;
  keys.reserve(kv.size() + 1);
  values.reserve(kv.size() + 1);
  for (const auto& [k, v] : kv) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  return conn_ptr(PQconnectStartParams(keys.data(), values.data(), 0));
}

PostgresPollingStatusType connect_poll(PGconn* c) { return PQconnectPoll(c); }
int socket(const PGconn* c) { return PQsocket(c); }
ConnStatusType status(const PGconn* c) { return PQstatus(c); }
bool set_nonblocking(PGconn* c) { return PQsetnonblocking(c, 1) == 0; }
int server_version(const PGconn* c) { return PQserverVersion(c); }

bool send_query_params(PGconn* c, const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params)
    values.push_back(p ? p->c_str() : nullptr);
  return PQsendQueryParams(c, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                           nullptr, 0) == 1;
}

bool send_query(PGconn* c, const std::string& sql) { return PQsendQuery(c, sql.c_str()) == 1; }
int flush(PGconn* c) { return PQflush(c); }
bool consume_input(PGconn* c) { return PQconsumeInput(c) == 1; }
bool is_busy(PGconn* c) { return PQisBusy(c) == 1; }
result_ptr get_result(PGconn* c) { return result_ptr(PQgetResult(c)); }
cancel_ptr get_cancel(PGconn* c) { return cancel_ptr(PQgetCancel(c)); }

bool cancel(PGcancel* c, std::string* err) {
  char buf[256] = {};
  if (PQcancel(c, buf, sizeof buf) == 1)
    return true;
  if (err)
    *err = redact_conninfo(trim_trailing_newlines(buf));
  return false;
}

void set_notice_receiver(PGconn* c, PQnoticeReceiver fn, void* arg) { PQsetNoticeReceiver(c, fn, arg); }

pg::error conn_error(const char* call, const PGconn* c) {
  pg::error e;
  e.call = call;
  e.message = c ? redact_conninfo(trim_trailing_newlines(PQerrorMessage(c))) : "out of memory";
  e.connection_lost = !c || PQstatus(c) == CONNECTION_BAD;
  return e;
}

bool result_ok(const PGresult* r) {
  switch (PQresultStatus(r)) {
  case PGRES_COMMAND_OK:
  case PGRES_TUPLES_OK:
  case PGRES_SINGLE_TUPLE:
    return true;
  default:
    return false;
  }
}

pg::error result_error(const PGresult* r) {
  pg::error e;
  e.call = "result";
  e.sqlstate = field(r, PG_DIAG_SQLSTATE);
  e.message = redact_conninfo(field(r, PG_DIAG_MESSAGE_PRIMARY));
  e.detail = redact_conninfo(field(r, PG_DIAG_MESSAGE_DETAIL));
  if (e.message.empty())
    e.message = redact_conninfo(trim_trailing_newlines(PQresultErrorMessage(r)));
  if (e.message.empty())
    e.message = std::string("unexpected result status ") + PQresStatus(PQresultStatus(r));
  return e;
}

} // namespace slotd::pg::libpq
