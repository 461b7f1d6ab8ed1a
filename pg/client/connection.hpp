#pragma once
// pg::connection: one libpq connection in non-blocking mode, driven by C++20
// coroutines on one Asio I/O thread. Every operation takes an absolute
// deadline. Use it only from coroutines running on the executor it was built
// with; one operation at a time (a second concurrent call gets an error).
//
//   boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
//     auto ok = co_await conn.connect(pg::clock::now() + 3s);
//     pg::params p{"cdc"};
//     auto r = co_await conn.exec("SELECT ... WHERE slot_name = $1", p, pg::clock::now() + 2s);
//     if (!r) { /* r.error(): call, SQLSTATE, message */ }
//   }, boost::asio::detached);
//
// On deadline the query is cancelled (PQcancel on a helper thread: it
// blocks), the answer is drained, and the connection stays usable when the
// server answered the cancel (57014); otherwise it is closed.
//
// g++ 12: name temporaries before co_await (no braced temporaries inside
// co_await f({...})), see docs/implementation-notes.md #6.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pg/asio.hpp"
#include "pg/client/params.hpp"
#include "pg/client/result.hpp"
#include "pg/client/rows.hpp"

namespace slotd::pg {

struct connection_options {
  std::string conninfo;                 // key=value or URI; never logged unredacted
  std::optional<std::string> dbname;    // overrides the conninfo's dbname (per-database connections)
  // Sent as options='-c statement_timeout=N' (appended to the conninfo's own
  // options). 0 disables it (advance connections, docs/slot-rules.md §2.7).
  std::optional<std::chrono::milliseconds> statement_timeout;
  std::string application_name = "slotd"; // used when the conninfo sets none
  std::string name = "pg";                 // in log lines: "local", "leader", "advance app"
  // After a cancel, how long to wait for the server's answer before closing.
  std::chrono::milliseconds cancel_grace{2000};
};

// What exec_batch_outcome gives: the rows of each statement that ran, in
// order, and the error that ended the batch (none: every statement ran).
// With a failure, `results` holds the statements before the one that failed
// (the server runs none after it), or fewer when the connection was lost
// or the deadline passed on the way.
struct batch_outcome {
  std::vector<rows> results;
  std::optional<pg::error> failure;
};

// A NOTIFY that came on a channel this connection LISTENs to.
struct notification {
  std::string channel;
  std::string payload;
  friend bool operator==(const notification&, const notification&) = default;
};

class connection {
public:
  connection(boost::asio::any_io_executor executor, connection_options options);
  ~connection();
  connection(connection&&) noexcept;
  connection& operator=(connection&&) noexcept;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Closes any previous connection first.
  boost::asio::awaitable<result<void>> connect(deadline until);
  // One statement, $1..$n text parameters, every result drained.
  boost::asio::awaitable<result<rows>> exec(std::string sql, params parameters, deadline until);
  boost::asio::awaitable<result<rows>> exec(std::string sql, deadline until);
  // Parameter-free statements sent together with the simple query protocol:
  // one round trip instead of one per statement. They run in one implicit
  // transaction (each with its own snapshot, at read committed), and the
  // first that fails ends them all (its error is the result's). Each
  // statement's rows, in order; a statement must return rows or a command
  // status (no COPY, no empty statement) and be allowed in a transaction
  // block (no ALTER SYSTEM, no CREATE DATABASE...). On PostgreSQL 12,
  // statement_timeout covers the whole batch; from 13 on, each statement.
  boost::asio::awaitable<result<std::vector<rows>>> exec_batch(std::vector<std::string> statements, deadline until);
  // The same, keeping what the statements before a failure returned.
  boost::asio::awaitable<batch_outcome> exec_batch_outcome(std::vector<std::string> statements, deadline until);
  // After LISTEN: the notifications that came, those already received
  // first; when none has, waits for one until `until` and then returns
  // what came (none at the deadline). A lost connection is an error.
  boost::asio::awaitable<result<std::vector<notification>>> wait_notifications(deadline until);

  bool connected() const;
  int server_version() const; // PQserverVersion, 0 when not connected
  void close();
  const connection_options& options() const;
  std::string describe() const; // name and redacted conninfo, for logs

  struct impl; // opaque (keeps libpq out of this header)

private:
  std::shared_ptr<impl> impl_;
};

} // namespace slotd::pg
