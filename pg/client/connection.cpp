#include "pg/client/connection.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "pg/client/libpq.hpp"
#include "pg/client/log.hpp"
#include "pg/client/redact.hpp"

namespace slotd::pg {

namespace asio = boost::asio;
using asio::posix::stream_descriptor;

namespace {

enum class wait_outcome { ready, deadline, failed };

// One operation at a time per connection; released also on exceptions.
struct busy_guard {
  explicit busy_guard(bool& b) : busy(b) { busy = true; }
  ~busy_guard() { busy = false; }
  busy_guard(const busy_guard&) = delete;
  busy_guard& operator=(const busy_guard&) = delete;
  bool& busy;
};

// One wait on a socket. The deadline timer cancels the descriptor only while
// this wait is still current: a timer completion that was already queued when
// the wait ended must not cancel the next wait (or a closed descriptor).
struct wait_state {
  bool active = true;
  bool fired = false;
  stream_descriptor* descriptor = nullptr;
};

pg::error make_error(std::string call, std::string message, bool connection_lost = false) {
  pg::error e;
  e.call = std::move(call);
  e.message = std::move(message);
  e.connection_lost = connection_lost;
  return e;
}

void notice_receiver(void* arg, const PGresult* r) {
  const auto* name = static_cast<const std::string*>(arg);
  const char* sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
  const char* msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
  std::string text = redact_conninfo(msg ? msg : PQresultErrorMessage(r));
  std::string_view severity = sev ? sev : "NOTICE";
  if (severity == "WARNING")
    logger().warn("{}: server {}: {}", *name, severity, text);
  else if (severity == "DEBUG" || severity == "LOG")
    logger().debug("{}: server {}: {}", *name, severity, text);
  else
    logger().info("{}: server {}: {}", *name, severity, text);
}

// A duplicate of libpq's socket: Asio owns and closes the duplicate, libpq
// keeps its own descriptor (never closed behind its back).
std::optional<stream_descriptor> watch_socket(const asio::any_io_executor& ex, int fd, pg::error* err) {
  int dup_fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) {
    *err = make_error("dup", std::string("cannot duplicate the libpq socket: ") + std::strerror(errno));
    return std::nullopt;
  }
  return std::optional<stream_descriptor>(std::in_place, ex, dup_fd);
}

} // namespace

struct connection::impl : std::enable_shared_from_this<impl> {
  impl(asio::any_io_executor ex, connection_options o)
      : executor(std::move(ex)), options(std::move(o)), timer(executor),
        redacted(redact_conninfo(options.conninfo)) {}

  asio::any_io_executor executor;
  connection_options options;
  asio::steady_timer timer;
  std::string redacted;
  libpq::conn_ptr conn;
  std::optional<stream_descriptor> socket; // dup of PQsocket once connected
  std::shared_ptr<wait_state> current_wait;
  std::uint64_t generation = 0; // bumped by close(): a resumed coroutine notices
  bool busy = false;
  // Set while a PQcancel thread runs: a cancel that lands after its query
  // finished would hit the next one, so exec() waits for it first.
  std::shared_ptr<std::atomic<bool>> cancel_in_flight = std::make_shared<std::atomic<bool>>(false);

  std::string describe() const {
    std::string d = options.name + " (" + redacted;
    if (options.dbname)
      d += " dbname=" + *options.dbname;
    return d + ")";
  }

  void close() {
    ++generation;
    if (current_wait && current_wait->active) {
      // Wake the coroutine waiting on it (it sees the new generation).
      boost::system::error_code ignored;
      current_wait->descriptor->cancel(ignored);
      current_wait->active = false;
    }
    if (socket) {
      boost::system::error_code ignored;
      socket->cancel(ignored);
      socket->close(ignored); // closes our duplicate only
      socket.reset();
    }
    conn.reset(); // PQfinish closes libpq's own socket
    // A cancel still in flight targets the old backend only.
    cancel_in_flight = std::make_shared<std::atomic<bool>>(false);
  }

  asio::awaitable<wait_outcome> wait(stream_descriptor& d, stream_descriptor::wait_type what, deadline until) {
    if (clock::now() >= until)
      co_return wait_outcome::deadline;
    auto state = std::make_shared<wait_state>();
    state->descriptor = &d;
    current_wait = state;
    // `d` lives in the caller's frame: once this frame ends, resumed or
    // destroyed while suspended (an io_context going away), nothing may
    // touch it any more (close(), the timer).
    struct deactivate {
      std::shared_ptr<wait_state> s;
      ~deactivate() { s->active = false; }
    } guard{state};
    timer.expires_at(until);
    timer.async_wait([state](const boost::system::error_code& ec) {
      if (ec || !state->active)
        return;
      state->fired = true;
      boost::system::error_code ignored;
      state->descriptor->cancel(ignored);
    });
    boost::system::error_code ec;
    co_await d.async_wait(what, asio::redirect_error(asio::use_awaitable, ec));
    state->active = false;
    timer.cancel();
    if (state->fired)
      co_return wait_outcome::deadline;
    co_return ec ? wait_outcome::failed : wait_outcome::ready;
  }

  libpq::keyword_values build_keywords(pg::error* err) const {
    auto kv = libpq::parse_conninfo(options.conninfo, err);
    if (!kv)
      return {};
    if (options.dbname)
      libpq::set_keyword(*kv, "dbname", *options.dbname);
    if (options.statement_timeout) {
      auto opts = libpq::get_keyword(*kv, "options").value_or("");
      if (!opts.empty())
        opts += ' ';
      opts += "-c statement_timeout=" + std::to_string(options.statement_timeout->count());
      libpq::set_keyword(*kv, "options", opts);
    }
    if (!libpq::get_keyword(*kv, "application_name"))
      libpq::set_keyword(*kv, "application_name", options.application_name);
    return *kv;
  }

  asio::awaitable<result<void>> connect(deadline until) {
    auto self = shared_from_this(); // keeps us alive across suspensions
    if (busy)
      co_return make_error("connect", "another operation is in progress on " + describe());
    close();
    busy_guard guard(busy);
    auto result = co_await do_connect(until);
    if (!result)
      logger().debug("{}: connect failed: {}", describe(), result.error().what());
    co_return result;
  }

  asio::awaitable<result<void>> do_connect(deadline until) {
    pg::error err;
    auto kv = build_keywords(&err);
    if (kv.empty())
      co_return err;
    conn = libpq::connect_start(kv);
    if (!conn || libpq::status(conn.get()) == CONNECTION_BAD) {
      auto e = libpq::conn_error("PQconnectStartParams", conn.get());
      e.connection_lost = true;
      close();
      co_return e;
    }
    libpq::set_notice_receiver(conn.get(), &notice_receiver, &options.name);
    const auto gen = generation;
    auto poll = PGRES_POLLING_WRITING;
    while (poll != PGRES_POLLING_OK) {
      if (poll == PGRES_POLLING_FAILED) {
        auto e = libpq::conn_error("PQconnectPoll", conn.get());
        e.connection_lost = true;
        close();
        co_return e;
      }
      // libpq may switch sockets between polls (several hosts, SSL retry):
      // watch the current one each time.
      auto watched = watch_socket(executor, libpq::socket(conn.get()), &err);
      if (!watched) {
        close();
        co_return err;
      }
      auto what = poll == PGRES_POLLING_READING ? stream_descriptor::wait_read : stream_descriptor::wait_write;
      auto outcome = co_await wait(*watched, what, until);
      if (gen != generation)
        co_return make_error("PQconnectPoll", "connection closed while connecting", true);
      if (outcome == wait_outcome::deadline) {
        close();
        auto e = make_error("PQconnectPoll", "timeout connecting to " + describe(), true);
        e.timed_out = true;
        co_return e;
      }
      if (outcome == wait_outcome::failed) {
        close();
        co_return make_error("PQconnectPoll", "waiting on the socket failed for " + describe(), true);
      }
      poll = libpq::connect_poll(conn.get());
    }
    if (!libpq::set_nonblocking(conn.get())) {
      auto e = libpq::conn_error("PQsetnonblocking", conn.get());
      close();
      e.connection_lost = true;
      co_return e;
    }
    auto watched = watch_socket(executor, libpq::socket(conn.get()), &err);
    if (!watched) {
      close();
      co_return err;
    }
    socket.emplace(std::move(*watched));
    logger().debug("{}: connected, server version {}", describe(), libpq::server_version(conn.get()));
    co_return result<void>{};
  }

  // PQcancel opens a new connection and blocks: run it on its own thread. It
  // owns its PGcancel, so the connection may go away meanwhile.
  void start_cancel() {
    auto cancel = libpq::get_cancel(conn.get());
    if (!cancel) {
      logger().warn("{}: cannot cancel the running query: PQgetCancel failed", describe());
      return;
    }
    cancel_in_flight->store(true);
    std::thread([cancel = std::move(cancel), who = describe(), flag = cancel_in_flight]() {
      std::string err;
      if (!libpq::cancel(cancel.get(), &err))
        logger().warn("{}: cancel request failed: {}", who, err);
      flag->store(false);
    }).detach();
  }

  // Rare (the server answers a cancel after it was delivered): poll the
  // helper thread's flag on a timer, never blocking the I/O thread.
  asio::awaitable<bool> cancel_settled(deadline until) {
    while (cancel_in_flight->load() && clock::now() < until) {
      asio::steady_timer t(executor, std::chrono::milliseconds(5));
      boost::system::error_code ec;
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return !cancel_in_flight->load();
  }

  pg::error lost(const char* call) {
    auto e = libpq::conn_error(call, conn.get());
    if (libpq::status(conn.get()) == CONNECTION_BAD) {
      e.connection_lost = true;
      close();
    }
    return e;
  }

  // `simple`: `sql` is one or more parameter-free statements sent with the
  // simple query protocol (PQsendQuery); else one statement with `ps`.
  // Every successful result, in order. On a failure, `partial` (when given)
  // gets the results that came before it.
  asio::awaitable<result<std::vector<rows>>> exec(std::string sql, params ps, deadline until, bool simple,
                                                  std::vector<rows>* partial = nullptr) {
    auto self = shared_from_this();
    if (!conn || !socket || libpq::status(conn.get()) != CONNECTION_OK)
      co_return make_error("exec", "not connected: " + describe(), true);
    if (busy)
      co_return make_error("exec", "another operation is in progress on " + describe());
    if (clock::now() >= until) {
      auto e = make_error("exec", "deadline passed before the query was sent");
      e.timed_out = true;
      co_return e;
    }
    busy_guard guard(busy);
    if (cancel_in_flight->load()) {
      bool settled = co_await cancel_settled(until);
      if (!settled) {
        auto e = make_error("exec", "a previous cancel request is still in flight on " + describe());
        e.timed_out = true;
        co_return e;
      }
    }
    co_return co_await do_exec(sql, ps, until, simple, partial);
  }

  std::vector<notification> take_notifications() {
    std::vector<notification> out;
    while (PGnotify* n = PQnotifies(conn.get())) {
      out.push_back({n->relname ? n->relname : "", n->extra ? n->extra : ""});
      PQfreemem(n);
    }
    return out;
  }

  asio::awaitable<result<std::vector<notification>>> wait_notifications(deadline until) {
    auto self = shared_from_this();
    if (busy)
      co_return make_error("wait", "another operation is in progress on " + describe());
    if (!conn || !socket)
      co_return make_error("wait", "not connected", true);
    busy_guard guard(busy);
    auto got = take_notifications();
    if (!got.empty())
      co_return got;
    // Readable without a notification (a notice, half a message, the
    // server's last words before it closes): wait again.
    const auto gen = generation;
    while (got.empty()) {
      auto outcome = co_await wait(*socket, stream_descriptor::wait_read, until);
      if (gen != generation)
        co_return make_error("wait", "connection closed while waiting for notifications", true);
      if (outcome == wait_outcome::deadline)
        break;
      if (outcome == wait_outcome::failed || !libpq::consume_input(conn.get()) ||
          libpq::status(conn.get()) == CONNECTION_BAD) {
        auto e = lost("PQconsumeInput");
        if (!e.connection_lost) { // a socket that failed: nothing more comes from it
          e.connection_lost = true;
          close();
        }
        co_return e;
      }
      got = take_notifications();
    }
    co_return got;
  }

  struct exec_state {
    std::uint64_t generation;
    deadline current;
    bool cancelled = false;
  };

  // One wait during a query (socket writable while sending, readable while
  // busy), then PQconsumeInput. A deadline cancels once and gives the server
  // cancel_grace to answer; no answer -> the connection is not trustworthy.
  // Returns the error that ends the query, or nullopt to go on.
  asio::awaitable<std::optional<pg::error>> exec_wait(exec_state& st, stream_descriptor::wait_type what) {
    auto outcome = co_await wait(*socket, what, st.current);
    if (st.generation != generation)
      co_return make_error("exec", "connection closed during the query", true);
    if (outcome == wait_outcome::deadline) {
      if (!st.cancelled) {
        st.cancelled = true;
        start_cancel();
        st.current = clock::now() + options.cancel_grace;
        co_return std::nullopt;
      }
      close();
      auto e = make_error("exec", "query passed its deadline and the cancel was not answered; connection closed",
                          true);
      e.sqlstate = "57014";
      e.timed_out = true;
      co_return e;
    }
    if (outcome == wait_outcome::failed || !libpq::consume_input(conn.get()))
      co_return lost("PQconsumeInput");
    co_return std::nullopt;
  }

  asio::awaitable<result<std::vector<rows>>> do_exec(const std::string& sql, const params& ps, deadline until,
                                                     bool simple, std::vector<rows>* partial) {
    if (simple ? !libpq::send_query(conn.get(), sql) : !libpq::send_query_params(conn.get(), sql, ps))
      co_return lost(simple ? "PQsendQuery" : "PQsendQueryParams");
    exec_state state{generation, until};
    for (;;) {
      int f = libpq::flush(conn.get());
      if (f == 0)
        break;
      if (f < 0)
        co_return lost("PQflush");
      auto e = co_await exec_wait(state, stream_descriptor::wait_write);
      if (e)
        co_return *e;
    }

    std::optional<pg::error> first_error;
    std::vector<rows> all;
    auto failed = [&](pg::error e) -> pg::error {
      if (partial)
        *partial = std::move(all);
      return e;
    };
    for (;;) {
      while (libpq::is_busy(conn.get())) {
        auto e = co_await exec_wait(state, stream_descriptor::wait_read);
        if (e)
          co_return failed(*e);
      }
      auto r = libpq::get_result(conn.get());
      if (!r)
        break;
      auto st = PQresultStatus(r.get());
      if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
        // COPY is not part of this client; the protocol state is unknown now.
        close();
        co_return failed(make_error("exec", "COPY is not supported by pg::connection", true));
      }
      if (libpq::result_ok(r.get()))
        all.emplace_back(r.release());
      else if (!first_error)
        first_error = libpq::result_error(r.get());
    }
    if (libpq::status(conn.get()) == CONNECTION_BAD) {
      auto e = first_error ? *first_error : libpq::conn_error("PQgetResult", conn.get());
      e.connection_lost = true;
      close();
      co_return failed(e);
    }
    if (first_error)
      co_return failed(*first_error);
    if (all.empty())
      co_return make_error("exec", "the server returned no result");
    co_return all;
  }
};

connection::connection(asio::any_io_executor executor, connection_options options)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(options))) {}

connection::~connection() {
  if (impl_)
    impl_->close();
}

connection::connection(connection&&) noexcept = default;
connection& connection::operator=(connection&& other) noexcept {
  if (this != &other) {
    if (impl_)
      impl_->close();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

// The awaitables own a reference to the impl from the call on: the
// connection object may be moved or destroyed before they run or finish.
namespace {
asio::awaitable<result<void>> run_connect(std::shared_ptr<connection::impl> self, deadline until) {
  co_return co_await self->connect(until);
}
asio::awaitable<result<rows>> run_exec(std::shared_ptr<connection::impl> self, std::string sql, params ps,
                                       deadline until) {
  auto r = co_await self->exec(std::move(sql), std::move(ps), until, false);
  if (!r)
    co_return r.error();
  co_return std::move(r->back());
}
asio::awaitable<result<std::vector<rows>>> run_batch(std::shared_ptr<connection::impl> self,
                                                     std::vector<std::string> statements, deadline until,
                                                     std::vector<rows>* partial) {
  std::string sql;
  for (auto& st : statements)
    sql += st + "\n;\n"; // on a line of its own: a statement ending in a -- comment keeps its end
  auto r = co_await self->exec(std::move(sql), params{}, until, true, partial);
  if (r && r->size() != statements.size())
    co_return make_error("exec", std::to_string(statements.size()) + " statements sent together returned " +
                                     std::to_string(r->size()) + " results");
  co_return r;
}
asio::awaitable<batch_outcome> run_batch_outcome(std::shared_ptr<connection::impl> self,
                                                 std::vector<std::string> statements, deadline until) {
  batch_outcome out;
  std::vector<rows> partial;
  auto r = co_await run_batch(std::move(self), std::move(statements), until, &partial);
  if (r) {
    out.results = std::move(*r);
  } else {
    out.results = std::move(partial);
    out.failure = r.error();
  }
  co_return out;
}
asio::awaitable<result<std::vector<notification>>> run_wait_notifications(std::shared_ptr<connection::impl> self,
                                                                          deadline until) {
  co_return co_await self->wait_notifications(until);
}
} // namespace

asio::awaitable<result<void>> connection::connect(deadline until) { return run_connect(impl_, until); }

asio::awaitable<result<rows>> connection::exec(std::string sql, params parameters, deadline until) {
  return run_exec(impl_, std::move(sql), std::move(parameters), until);
}

asio::awaitable<result<rows>> connection::exec(std::string sql, deadline until) {
  return run_exec(impl_, std::move(sql), params{}, until);
}

asio::awaitable<result<std::vector<rows>>> connection::exec_batch(std::vector<std::string> statements,
                                                                  deadline until) {
  return run_batch(impl_, std::move(statements), until, nullptr);
}

asio::awaitable<batch_outcome> connection::exec_batch_outcome(std::vector<std::string> statements, deadline until) {
  return run_batch_outcome(impl_, std::move(statements), until);
}

asio::awaitable<result<std::vector<notification>>> connection::wait_notifications(deadline until) {
  return run_wait_notifications(impl_, until);
}

bool connection::connected() const {
  return impl_ && impl_->conn && impl_->socket && libpq::status(impl_->conn.get()) == CONNECTION_OK;
}

int connection::server_version() const { return connected() ? libpq::server_version(impl_->conn.get()) : 0; }

void connection::close() {
  if (impl_)
    impl_->close();
}

const connection_options& connection::options() const { return impl_->options; }

std::string connection::describe() const { return impl_->describe(); }

} // namespace slotd::pg
