#pragma once
// A test client that sends raw bytes (well-formed or hostile) to the API
// and reads one HTTP answer, with a deadline. Test code only.
#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pg/asio.hpp"
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <nlohmann/json.hpp>

namespace slotd::testing {

using namespace std::chrono_literals;

struct http_answer {
  int status = 0; // 0: no answer (closed, timed out)
  std::string body;
  std::string content_type;
  std::string allow;
  std::string error; // why there is no answer
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

struct raw_options {
  bool shutdown_after_write = false; // half-close: the server sees EOF after the bytes
  std::chrono::milliseconds timeout{15000};
  // The client's own address: another loopback address (127.0.0.2) is
  // another peer for the server.
  std::string source = "127.0.0.1";
};

// A socket connected to 127.0.0.1:port from `source` (any port).
inline boost::system::error_code connect_from(boost::asio::ip::tcp::socket& socket, const std::string& source,
                                              int port) {
  namespace asio = boost::asio;
  boost::system::error_code ec;
  socket.open(asio::ip::tcp::v4(), ec);
  if (!ec)
    socket.bind({asio::ip::make_address(source), 0}, ec);
  if (!ec)
    socket.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)}, ec);
  return ec;
}

// Connects to 127.0.0.1:port, writes `bytes` while reading the answer (a
// server may answer before the whole body is sent, e.g. 413).
inline http_answer http_raw(int port, std::string bytes, raw_options o = {}) {
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  namespace http = beast::http;
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  http_answer out;
  if (auto ec = connect_from(socket, o.source, port)) {
    out.error = "connect: " + ec.message();
    return out;
  }
  asio::async_write(socket, asio::buffer(bytes), [&](boost::system::error_code wec, std::size_t) {
    if (!wec && o.shutdown_after_write)
      socket.shutdown(asio::ip::tcp::socket::shutdown_send, wec);
  });
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  bool done = false;
  http::async_read(socket, buffer, parser, [&](boost::system::error_code rec, std::size_t) {
    done = true;
    if (rec) {
      out.error = "read: " + rec.message();
      return;
    }
    auto& res = parser.get();
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
    out.content_type = std::string(res[http::field::content_type]);
    out.allow = std::string(res[http::field::allow]);
  });
  io.run_for(o.timeout);
  if (!done)
    out.error = "no answer in time";
  return out;
}

// Everything the server sends on one connection until it closes it (for
// keep-alive: several requests in `bytes`, the last with Connection: close).
inline std::string http_read_all(int port, const std::string& bytes, std::chrono::milliseconds timeout = 15s) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)}, ec);
  if (ec)
    return {};
  asio::write(socket, asio::buffer(bytes), ec);
  std::string out;
  std::array<char, 4096> buf{};
  std::function<void()> read_more = [&] {
    socket.async_read_some(asio::buffer(buf), [&](boost::system::error_code rec, std::size_t n) {
      out.append(buf.data(), n);
      if (!rec)
        read_more();
    });
  };
  read_more();
  io.run_for(timeout);
  return out;
}

// Connections that send nothing, as a client hogging the server holds them.
struct idle_connections {
  // `n` connections to 127.0.0.1:port from `source`; false if one fails.
  bool open(int port, int n, const std::string& source = "127.0.0.1") {
    for (int i = 0; i < n; ++i) {
      sockets.emplace_back(io);
      if (connect_from(sockets.back(), source, port))
        return false;
    }
    return true;
  }
  // How many the server has closed by now (each is looked at without waiting).
  int closed() {
    int n = 0;
    for (auto& s : sockets) {
      if (!s.is_open()) {
        ++n;
        continue;
      }
      boost::system::error_code ec;
      s.non_blocking(true, ec);
      std::array<char, 1> byte{};
      s.read_some(boost::asio::buffer(byte), ec);
      if (ec && ec != boost::asio::error::would_block) {
        s.close(ec);
        ++n;
      }
    }
    return n;
  }
  boost::asio::io_context io;
  std::vector<boost::asio::ip::tcp::socket> sockets;
};

// A well-formed request.
inline std::string http_request(const std::string& method, const std::string& target, const std::string& body = "",
                                const std::map<std::string, std::string>& headers = {}) {
  std::string r = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  bool has_ct = false;
  for (auto& [k, v] : headers) {
    r += k + ": " + v + "\r\n";
    has_ct = has_ct || k == "Content-Type";
  }
  if (!body.empty() && !has_ct)
    r += "Content-Type: application/json\r\n";
  if (!body.empty() || method == "POST" || method == "PUT")
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return r + "\r\n" + body;
}

inline http_answer http_call(int port, const std::string& method, const std::string& target,
                             const std::string& body = "", const std::map<std::string, std::string>& headers = {}) {
  return http_raw(port, http_request(method, target, body, headers));
}

} // namespace slotd::testing
