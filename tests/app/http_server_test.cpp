// The HTTP server over real sockets, without an agent: what it does before a
// request reaches the gateway (the access log, descriptors, connection
// limits). Only answers the routing gives itself (404, 401, 405) are asked
// for: the gateway handle is empty.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "app/api/http_server.hpp"
#include "tests/app/http_client.hpp"

using namespace slotd;
using namespace slotd::testing;

namespace {

// An http_server on 127.0.0.1 (a free port), its I/O thread, and its "api"
// log kept in memory.
struct server_env {
  explicit server_env(api::server_options o = {}) {
    spdlog::drop("api");
    log = std::make_shared<spdlog::logger>("api", sink);
    log->set_level(spdlog::level::trace);
    spdlog::register_logger(log);
    io_thread = std::thread([this] { io.run(); });
    o.listen = {"127.0.0.1", 0};
    server = std::make_unique<api::http_server>(io, actors::api_gateway_actor{}, std::move(o));
    port = server->port();
  }
  ~server_env() {
    server->stop();
    server.reset();
    work.reset();
    io_thread.join();
    spdlog::drop("api");
  }
  server_env(const server_env&) = delete;
  server_env& operator=(const server_env&) = delete;

  // Every line logged so far.
  std::string log_text() {
    std::string out;
    for (auto& line : sink->last_formatted())
      out += line;
    return out;
  }

  boost::asio::io_context io;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work{io.get_executor()};
  std::thread io_thread;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000);
  std::shared_ptr<spdlog::logger> log;
  std::unique_ptr<api::http_server> server;
  int port = 0;
};

} // namespace

// A query string may carry a secret (?token=...): the access log shows the
// path and "?…" instead.
TEST(http_server, the_access_log_leaves_query_strings_out) {
  server_env s;
  auto a = http_call(s.port, "GET", "/nope?token=s3cret-in-query");
  EXPECT_EQ(a.status, 404) << a.error;
  auto b = http_call(s.port, "DELETE", "/status?token=s3cret-in-query");
  EXPECT_EQ(b.status, 405) << b.error;
  auto log = s.log_text();
  EXPECT_EQ(log.find("s3cret"), std::string::npos) << log;
  EXPECT_NE(log.find("GET /nope?… 404"), std::string::npos) << log;
  EXPECT_NE(log.find("DELETE /status?… 405"), std::string::npos) << log;
}
