// The HTTP server: an accept loop and one coroutine per connection, all on
// the agent's I/O thread. Nothing here blocks: a request for the actors is
// handed to the api gateway (api_call), and the connection's coroutine
// waits on a timer that the gateway's answer, posted back to the I/O
// thread, cancels (Asio 1.18 has no channels).
#include "app/api/http_server.hpp"

#include <fcntl.h>

#include <array>
#include <cerrno>
#include <future>
#include <mutex>
#include <optional>
#include <vector>

#include "pg/asio.hpp"
// Beast after Asio (pg/asio.hpp fixes Asio's includes for g++ 12).
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/api_gateway.hpp"
#include "app/api/replies.hpp"

namespace slotd::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using error_code = boost::system::error_code;

// Whether the gateway's answers may still be posted to the I/O thread:
// closed by stop(), before the io_context can go. The gateway belongs to
// the agent and may answer a call after the server has stopped.
struct reply_gate {
  std::mutex m;
  bool open = true;
};

struct http_server::core {
  core(asio::io_context& io, actors::api_gateway_actor gw, server_options opts)
      : acceptor(io), gateway(std::move(gw)), options(std::move(opts)), log(spdlog::get("api")) {
    if (!log)
      log = spdlog::default_logger();
  }
  tcp::acceptor acceptor;
  actors::api_gateway_actor gateway;
  server_options options;
  std::shared_ptr<spdlog::logger> log;
  std::uint16_t port = 0;
  bool stopping = false;
  // Every open connection, for stop() and the limits; I/O thread only.
  std::vector<open_connection<beast::tcp_stream*>> live;
  // Connections closed for the limits and not yet logged (at most one
  // warning per 10 s: a client hogging the server would flood the log).
  std::size_t unlogged_limit_closes = 0;
  std::optional<std::chrono::steady_clock::time_point> last_limit_warning;
  std::shared_ptr<reply_gate> gate = std::make_shared<reply_gate>();
};

namespace {

using core_ptr = std::shared_ptr<http_server::core>;
using response = http::response<http::string_body>;

void forget(http_server::core& c, const beast::tcp_stream* s) {
  std::erase_if(c.live, [s](const auto& open) { return open.handle == s; });
}

// An accepted connection, in core::live from its accept to its end.
struct connection {
  connection(core_ptr cp, tcp::socket socket, std::string peer_address) : c(std::move(cp)), stream(std::move(socket)) {
    c->live.push_back({&stream, std::move(peer_address), false, std::chrono::steady_clock::now()});
  }
  ~connection() { forget(*c, &stream); }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Busy while a request is answered: never closed to make room meanwhile.
  void set_busy(bool busy) {
    for (auto& open : c->live)
      if (open.handle == &stream) {
        open.busy = busy;
        open.idle_since = std::chrono::steady_clock::now();
      }
  }

  core_ptr c;
  beast::tcp_stream stream;
};

void warn_limit(http_server::core& c, const std::string& what) {
  ++c.unlogged_limit_closes;
  auto now = std::chrono::steady_clock::now();
  if (c.last_limit_warning && now - *c.last_limit_warning < std::chrono::seconds(10))
    return;
  c.log->warn("connection limit ({} in all, {} per client address): {} ({} connection(s) closed for the limits "
              "since the last such warning)",
              c.options.connections.total, c.options.connections.per_peer, what, c.unlogged_limit_closes);
  c.unlogged_limit_closes = 0;
  c.last_limit_warning = now;
}

// The gateway's answer to `cmd`, or 503 when none comes in time.
awaitable<api_reply> ask_gateway(const core_ptr& c, actors::api_command& cmd) {
  struct pending {
    explicit pending(const asio::any_io_executor& ex) : timer(ex) {}
    asio::steady_timer timer;
    std::optional<api_reply> reply;
  };
  auto ex = co_await asio::this_coro::executor;
  auto p = std::make_shared<pending>(ex);
  p->timer.expires_after(actors::gateway_deadline(cmd) + c->options.answer_margin);
  // Runs in the gateway actor: only posts to the server's I/O thread, where `p` lives,
  // and only while the server runs (the gate) and this request waits (`p`
  // is this coroutine's: the gateway never holds the timer).
  auto done = [wp = std::weak_ptr<pending>(p), ex, gate = c->gate](actors::api_answer a) {
    auto rendered = render(a); // outside the lock: stop() never waits for a render
    std::lock_guard lock(gate->m);
    if (!gate->open)
      return;
    if (auto waiting = wp.lock())
      asio::post(ex, [waiting, r = std::move(rendered)]() mutable {
        waiting->reply = std::move(r);
        waiting->timer.cancel();
      });
  };
  caf::anon_send(c->gateway, actors::api_call{std::move(cmd), std::move(done)});
  // Only this thread sets `reply`: if it is not set now, the post that sets
  // it runs after this wait is registered, and cancels it.
  if (!p->reply) {
    error_code ec;
    co_await p->timer.async_wait(asio::redirect_error(use_awaitable, ec));
  }
  if (!p->reply)
    co_return error_reply(503, "the agent did not answer in time");
  co_return std::move(*p->reply);
}

response make_response(const api_reply& r, unsigned version, bool keep_alive) {
  response res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "slotd");
  res.set(http::field::content_type, r.content_type);
  res.set(http::field::cache_control, "no-store");
  res.body() = r.body;
  if (!r.body.empty() && r.content_type == "application/json")
    res.body() += '\n';
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

// g++ 12 mishandles temporaries inside co_await expressions
// (docs/implementation-notes.md #6):
// every coroutine below is called with named arguments only, by reference.
awaitable<void> write_response(beast::tcp_stream& stream, const core_ptr& c, response& res) {
  stream.expires_after(c->options.write_timeout);
  error_code ec;
  co_await http::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
}

// An error answer after which the connection is closed (the rest of the
// request was not read, or could not be). What the client still sends is
// read and dropped for a moment: closing with unread data makes the kernel
// send a reset, which can destroy the answer before the client reads it.
struct refusal {
  int status;
  std::string why;
};

awaitable<void> refuse(beast::tcp_stream& stream, const core_ptr& c, const refusal& r) {
  auto res = make_response(error_reply(r.status, r.why), 11, false);
  co_await write_response(stream, c, res);
  error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  std::array<char, 64 * 1024> sink{};
  stream.expires_after(std::chrono::seconds(2));
  while (!ec && !c->stopping)
    co_await stream.async_read_some(asio::buffer(sink), asio::redirect_error(use_awaitable, ec));
}

std::string endpoint_text(const beast::tcp_stream& stream) {
  error_code ec;
  auto ep = stream.socket().remote_endpoint(ec);
  return ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
}

// Why a request whose header was read (with `ec`) is refused, if it is.
std::optional<refusal> header_refusal(const error_code& ec, const http::request_parser<http::string_body>& parser,
                                      const server_options& o) {
  auto limit = std::to_string(o.body_limit);
  if (ec == http::error::header_limit)
    return refusal{431, "request header over " + std::to_string(o.header_limit) + " bytes"};
  // Beast reports body_limit as soon as it sees a Content-Length over it.
  auto len = parser.is_header_done() ? parser.content_length() : boost::optional<std::uint64_t>{};
  if (ec == http::error::body_limit || (!ec && len && *len > o.body_limit)) // the body is not read
    return refusal{413, "body of " + (len ? std::to_string(*len) + " bytes" : std::string("this size")) +
                            " is over the limit of " + limit + " bytes"};
  if (ec)
    return refusal{400, "malformed HTTP request: " + ec.message()};
  return std::nullopt;
}

// Why a request whose body was read (with `ec`) is refused, if it is.
std::optional<refusal> body_refusal(const error_code& ec, const server_options& o) {
  if (ec == http::error::body_limit)
    return refusal{413, "body over the limit of " + std::to_string(o.body_limit) + " bytes"};
  if (ec) // a truncated body (the client closed early) or broken chunking
    return refusal{400, "incomplete or malformed request body: " + ec.message()};
  return std::nullopt;
}

awaitable<void> session(std::unique_ptr<connection> conn) {
  const core_ptr& c = conn->c;
  beast::tcp_stream& stream = conn->stream;
  auto peer = endpoint_text(stream);
  beast::flat_buffer buffer;
  const auto& o = c->options;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(o.header_limit));
    parser.body_limit(o.body_limit);
    error_code ec;
    stream.expires_after(o.header_timeout);
    co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::connection_reset || c->stopping)
      co_return;
    if (auto r = header_refusal(ec, parser, o)) {
      co_await refuse(stream, c, *r);
      co_return;
    }
    auto& head = parser.get();
    if (beast::iequals(head[http::field::expect], "100-continue")) {
      http::response<http::empty_body> cont{http::status::continue_, head.version()};
      stream.expires_after(o.write_timeout);
      co_await http::async_write(stream, cont, asio::redirect_error(use_awaitable, ec));
      if (ec)
        co_return;
    }
    stream.expires_after(o.read_timeout);
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec == beast::error::timeout || ec == asio::error::operation_aborted || c->stopping)
      co_return;
    if (auto r = body_refusal(ec, o)) {
      co_await refuse(stream, c, *r);
      co_return;
    }
    auto req = parser.release();
    conn->set_busy(true);
    auto started = std::chrono::steady_clock::now();
    http_request_parts parts{std::string_view(req.method_string().data(), req.method_string().size()),
                             std::string_view(req.target().data(), req.target().size()),
                             std::string_view(req[http::field::content_type].data(), req[http::field::content_type].size()),
                             std::string_view(req[http::field::authorization].data(),
                                              req[http::field::authorization].size()),
                             req.body()};
    auto routed = route(parts, o.auth);
    api_reply reply;
    if (auto* cmd = std::get_if<actors::api_command>(&routed)) {
      auto command = std::move(*cmd);
      reply = co_await ask_gateway(c, command);
    }
    else
      reply = std::get<api_reply>(std::move(routed));
    bool keep_alive = req.keep_alive() && !c->stopping;
    auto res = make_response(reply, req.version(), keep_alive);
    if (reply.status == 405)
      if (auto allow = allowed_method(path_of(parts.target)))
        res.set(http::field::allow, *allow);
    if (parts.method == "HEAD")
      res.body().clear(); // Content-Length stays that of the GET answer

    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    // Never the Authorization header, a query string or a body: they may carry secrets.
    auto target = loggable_target(parts.target).substr(0, 200);
    if (reply.status >= 400)
      c->log->info("{} {} {} from {}: {} ({} ms)", parts.method, target, reply.status, peer,
                   reply.body.substr(0, 300), ms.count());
    else
      c->log->debug("{} {} {} from {} ({} ms)", parts.method, target, reply.status, peer, ms.count());
    co_await write_response(stream, c, res);
    conn->set_busy(false);
    if (!keep_alive || !stream.socket().is_open())
      break;
  }
  error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

// Asio opens sockets without close-on-exec. Children slotd starts (pg_ctl,
// and through it a postmaster that may outlive slotd) must not hold the
// API's sockets: a restarted slotd could not listen on its port again.
// pg/server forks on the I/O thread, where sockets are accepted, so setting
// the flag right after accept leaves it no window.
void close_on_exec(int fd, error_code& ec) {
  int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0 || ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
    ec.assign(errno, boost::system::system_category());
}

awaitable<void> accept_loop(core_ptr c) {
  for (;;) {
    error_code ec;
    auto socket = co_await c->acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
    if (c->stopping || ec == asio::error::operation_aborted)
      co_return;
    if (!ec)
      close_on_exec(socket.native_handle(), ec);
    if (ec) {
      // Out of descriptors and the like: do not spin.
      c->log->warn("accept failed: {}", ec.message());
      asio::steady_timer pause(c->acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    auto remote = socket.remote_endpoint(ec);
    if (ec) // gone already
      continue;
    auto peer = remote.address().to_string();
    auto admitted = admit(c->live, peer, c->options.connections);
    if (!admitted.accept) {
      warn_limit(*c, "closed a new connection from " + peer + " at once: no idle connection to close instead");
      continue;
    }
    if (auto* victim = admitted.close_first ? *admitted.close_first : nullptr) {
      warn_limit(*c, "closed an idle connection from " + endpoint_text(*victim) + " for a new one from " + peer);
      victim->socket().close(ec);
      forget(*c, victim);
    }
    auto conn = std::make_unique<connection>(c, std::move(socket), std::move(peer));
    asio::co_spawn(c->acceptor.get_executor(), session(std::move(conn)), asio::detached);
  }
}

tcp::endpoint resolve(asio::io_context& io, const config::listen_address& listen) {
  error_code ec;
  auto addr = asio::ip::make_address(listen.host, ec);
  if (!ec)
    return {addr, listen.port};
  tcp::resolver resolver(io);
  auto results = resolver.resolve(listen.host, std::to_string(listen.port), ec);
  if (ec || results.empty())
    throw std::runtime_error("api.listen: cannot resolve '" + listen.host + "': " + ec.message());
  return results.begin()->endpoint();
}

} // namespace

http_server::http_server(asio::io_context& io, actors::api_gateway_actor gateway, server_options options)
    : core_(std::make_shared<core>(io, std::move(gateway), std::move(options))) {
  auto ep = resolve(io, core_->options.listen);
  auto where = config::to_string(core_->options.listen);
  try {
    core_->acceptor.open(ep.protocol());
    error_code ec;
    close_on_exec(core_->acceptor.native_handle(), ec);
    if (ec)
      throw boost::system::system_error(ec);
    core_->acceptor.set_option(asio::socket_base::reuse_address(true));
    core_->acceptor.bind(ep);
    core_->acceptor.listen(asio::socket_base::max_listen_connections);
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("api.listen " + where + ": cannot listen: " + e.code().message());
  }
  core_->port = core_->acceptor.local_endpoint().port();
  asio::co_spawn(io, accept_loop(core_), asio::detached);
  core_->log->info("HTTP API listening on {}:{}{}", ep.address().to_string(), core_->port,
                   core_->options.auth.token ? " (mutations need the bearer token)" : "");
  if (!ep.address().is_loopback() && !core_->options.auth.token)
    core_->log->warn("HTTP API on {}:{} is reachable from other hosts and api.token_file is not set: anyone "
                     "who reaches it can promote, demote, pause or change the cluster view; set api.token_file",
                     ep.address().to_string(), core_->port);
}

http_server::~http_server() { stop(); }

std::uint16_t http_server::port() const { return core_->port; }

namespace {

// Runs `f` on the I/O thread and waits (at most 5 s: if the I/O thread is
// gone already, nothing runs any more anyway).
template <class F>
void on_io_thread_and_wait(const std::shared_ptr<http_server::core>& c, F f) {
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  asio::post(c->acceptor.get_executor(), [c, done, f = std::move(f)]() mutable {
    f(*c);
    done->set_value();
  });
  fut.wait_for(std::chrono::seconds(5));
}

} // namespace

void http_server::stop() {
  if (!core_)
    return;
  on_io_thread_and_wait(core_, [](core& c) {
    c.stopping = true;
    error_code ec;
    c.acceptor.close(ec);
    for (auto& open : c.live)
      open.handle->socket().close(ec);
  });
  {
    std::lock_guard lock(core_->gate->m);
    core_->gate->open = false;
  }
  core_.reset();
}

void http_server::set_auth(auth_policy auth) {
  if (!core_)
    return;
  on_io_thread_and_wait(core_, [auth = std::move(auth)](core& c) mutable { c.options.auth = std::move(auth); });
}

} // namespace slotd::api
