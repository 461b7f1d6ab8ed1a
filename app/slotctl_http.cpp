#include "app/slotctl_http.hpp"

#include <algorithm>

#include "pg/asio.hpp"
// Beast after Asio (pg/asio.hpp fixes Asio's includes for g++ 12).
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "slotd/version.hpp"

namespace slotd::slotctl {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::chrono::milliseconds connect_timeout{5000};

asio::awaitable<void> exchange(const config::api_url& url, const request_spec& spec,
                               const std::optional<std::string>& token, call_result& out) {
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  boost::system::error_code ec;
  auto endpoints = co_await resolver.async_resolve(url.host, url.port, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    out.error = "cannot resolve " + url.host + ": " + ec.message();
    co_return;
  }
  beast::tcp_stream stream(ex);
  stream.expires_after(std::min(connect_timeout, spec.timeout));
  co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    out.error = "cannot connect to " + url.host + ":" + url.port + ": " + ec.message();
    co_return;
  }
  http::request<http::string_body> req{http::string_to_verb(spec.method), spec.target, 11};
  req.set(http::field::host, url.host + ":" + url.port);
  req.set(http::field::user_agent, std::string("slotctl/") + slotd::version);
  req.set(http::field::accept, "application/json");
  if (token)
    req.set(http::field::authorization, "Bearer " + *token);
  if (spec.body) {
    req.set(http::field::content_type, "application/json");
    req.body() = *spec.body;
  }
  req.keep_alive(false);
  req.prepare_payload();
  stream.expires_after(spec.timeout);
  co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    out.error = "sending the request failed: " + ec.message();
    co_return;
  }
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  co_await http::async_read(stream, buffer, res, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    out.error = ec == beast::error::timeout
                    ? "no answer within " + std::to_string(spec.timeout.count()) + " ms"
                    : "no answer: " + ec.message();
    co_return;
  }
  http_answer a;
  a.status = static_cast<int>(res.result_int());
  a.content_type = std::string(res[http::field::content_type]);
  a.body = std::move(res.body());
  out.answer = std::move(a);
}

} // namespace

std::vector<call_result> perform_all(const std::vector<call>& calls, const std::optional<std::string>& token) {
  asio::io_context io;
  std::vector<call_result> results(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i)
    asio::co_spawn(io, exchange(calls[i].url, calls[i].spec, token, results[i]), asio::detached);
  io.run();
  for (auto& r : results)
    if (!r.answer && r.error.empty())
      r.error = "no answer";
  return results;
}

http_answer perform(const config::api_url& url, const request_spec& spec, const std::optional<std::string>& token) {
  auto results = perform_all({call{url, spec}}, token);
  if (!results.front().answer)
    throw unreachable{results.front().error};
  return std::move(*results.front().answer);
}

} // namespace slotd::slotctl
