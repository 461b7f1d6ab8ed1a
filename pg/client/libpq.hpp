#pragma once
// The thin libpq layer: one small function per libpq call, RAII for PGconn,
// PGresult and PGcancel, failures as pg::error naming the call. No policy
// (timeouts, retries, waiting) lives here: that is connection.cpp's job.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <libpq-fe.h>

#include "pg/client/error.hpp"

namespace slotd::pg::libpq {

struct conn_deleter {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
using conn_ptr = std::unique_ptr<PGconn, conn_deleter>;

struct result_deleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

struct cancel_deleter {
  void operator()(PGcancel* c) const noexcept { PQfreeCancel(c); }
};
using cancel_ptr = std::unique_ptr<PGcancel, cancel_deleter>;

using keyword_values = std::vector<std::pair<std::string, std::string>>;

// PQconninfoParse: every keyword with a value, in libpq's order. Accepts
// key=value and URI forms; the error is redacted.
std::optional<keyword_values> parse_conninfo(const std::string& conninfo, pg::error* err);
// Overwrite (or add) one keyword.
void set_keyword(keyword_values& kv, const std::string& key, std::string value);
std::optional<std::string> get_keyword(const keyword_values& kv, const std::string& key);

conn_ptr connect_start(const keyword_values& kv);          // PQconnectStartParams
PostgresPollingStatusType connect_poll(PGconn* c);          // PQconnectPoll
int socket(const PGconn* c);                                 // PQsocket
ConnStatusType status(const PGconn* c);                      // PQstatus
bool set_nonblocking(PGconn* c);                             // PQsetnonblocking(c, 1)
int server_version(const PGconn* c);                         // PQserverVersion
bool send_query(PGconn* c, const std::string& sql); // PQsendQuery: simple protocol, statements separated by ;
bool send_query_params(PGconn* c, const std::string& sql,   // PQsendQueryParams, text params
                       const std::vector<std::optional<std::string>>& params);
int flush(PGconn* c);                                        // PQflush: 0 done, 1 again, -1 error
bool consume_input(PGconn* c);                               // PQconsumeInput
bool is_busy(PGconn* c);                                     // PQisBusy
result_ptr get_result(PGconn* c);                            // PQgetResult
cancel_ptr get_cancel(PGconn* c);                            // PQgetCancel
// PQcancel: BLOCKS (opens a new connection). Never call on the I/O thread.
bool cancel(PGcancel* c, std::string* err);
void set_notice_receiver(PGconn* c, PQnoticeReceiver fn, void* arg); // PQsetNoticeReceiver

// The connection's last error (PQerrorMessage), redacted, as a pg::error.
pg::error conn_error(const char* call, const PGconn* c);
// A failed result: SQLSTATE, primary message and detail from its fields.
pg::error result_error(const PGresult* r);
bool result_ok(const PGresult* r); // PGRES_COMMAND_OK / PGRES_TUPLES_OK / PGRES_SINGLE_TUPLE

} // namespace slotd::pg::libpq
