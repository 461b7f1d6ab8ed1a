#include "actors/http_client.hpp"

#include <algorithm>

// Beast after Asio (pg/asio.hpp fixes Asio's includes for g++ 12).
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "slotd/version.hpp"

namespace slotd::actors::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

asio::awaitable<result> exchange(config::api_url url, request_spec spec, std::optional<std::string> token) {
  result out;
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  boost::system::error_code ec;
  auto endpoints = co_await resolver.async_resolve(url.host, url.port, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    out.error = "cannot resolve " + url.host + ": " + ec.message();
    co_return out;
  }
  beast::tcp_stream stream(ex);
  stream.expires_after(std::min(spec.connect_timeout, spec.timeout));
  co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    out.error = "cannot connect to " + url.host + ":" + url.port + ": " + ec.message();
    co_return out;
  }
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(spec.method), spec.target, 11};
  req.set(bhttp::field::host, url.host + ":" + url.port);
  req.set(bhttp::field::user_agent, std::string("slotd/") + slotd::version);
  req.set(bhttp::field::accept, "application/json");
  if (token)
    req.set(bhttp::field::authorization, "Bearer " + *token);
  if (spec.body) {
    req.set(bhttp::field::content_type, "application/json");
    req.body() = *spec.body;
  }
  req.keep_alive(false);
  req.prepare_payload();
  stream.expires_after(spec.timeout);
  co_await bhttp::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    out.error = "sending the request failed: " + ec.message();
    co_return out;
  }
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  co_await bhttp::async_read(stream, buffer, res, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    out.error = ec == beast::error::timeout ? "no answer within " + std::to_string(spec.timeout.count()) + " ms"
                                            : "no answer: " + ec.message();
    co_return out;
  }
  answer a;
  a.status = static_cast<int>(res.result_int());
  a.content_type = std::string(res[bhttp::field::content_type]);
  a.body = std::move(res.body());
  out.reply = std::move(a);
  co_return out;
}

} // namespace slotd::actors::http
