#pragma once
// A PostgreSQL failure as a value: which libpq call failed, the SQLSTATE the
// server (or libpq) gave, the primary message and the detail. The slot logic
// decides by SQLSTATE class (see docs/slot-rules.md §2.2, Q5), never by
// parsing free text, except for the one 55000 sub-case PostgreSQL has no code
// for.
#include <string>
#include <string_view>

namespace slotd::pg {

struct error {
  std::string call;      // "PQconnectPoll", "PQsendQueryParams", "result", "parse", ...
  std::string sqlstate;  // five characters, or empty when libpq failed locally
  std::string message;   // primary message (conninfo already redacted)
  std::string detail;    // DETAIL line, may be empty
  bool connection_lost = false; // the connection is closed; reconnect before reuse
  bool timed_out = false;       // our own deadline expired (connect, cancel grace)

  // "PQsendQueryParams: [57014] canceling statement due to user request (detail)".
  std::string what() const;
};

// 58P01: a file is missing (a WAL segment already removed, a slot's state
// file gone on the leader).
bool is_undefined_file(const error& e);
// Class 08, a lost connection, or any failure to reach the server.
bool is_connection_failure(const error& e);

} // namespace slotd::pg
