// The HTTP server over real sockets, without an agent: what it does before a
// request reaches the gateway (the access log, descriptors, connection
// limits). Only answers the routing gives itself (404, 401, 405) are asked
// for: the gateway handle is empty.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
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
  explicit server_env(api::server_options o = {}, std::string host = "127.0.0.1") {
    spdlog::drop("api");
    log = std::make_shared<spdlog::logger>("api", sink);
    log->set_level(spdlog::level::trace);
    spdlog::register_logger(log);
    io_thread = std::thread([this] { io.run(); });
    o.listen = {std::move(host), 0};
    server = std::make_unique<api::http_server>(io, actors::api_gateway_actor{}, std::move(o));
    port = server->port();
  }
  ~server_env() {
    server->stop();
    server.reset();
    work.reset();
    io.stop(); // requests waiting for the (absent) gateway end here
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

// This process's descriptors of TCP sockets whose local port is `port`: the
// server's listener and the connections it accepted (a client's own socket
// has another local port).
std::vector<int> sockets_on_port(int port) {
  std::vector<int> fds;
  for (auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    int fd = std::stoi(e.path().filename().string());
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || addr.ss_family != AF_INET)
      continue;
    if (ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port) == port)
      fds.push_back(fd);
  }
  return fds;
}

bool listening(int fd) {
  int on = 0;
  socklen_t len = sizeof on;
  return ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on != 0;
}

// What a program started now with exec sees among its descriptors.
std::string descriptors_of_an_exec_child() {
  std::string out;
  FILE* p = ::popen("ls -l /proc/self/fd/ 2>&1", "r");
  if (!p)
    return out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  ::pclose(p);
  return out;
}

// Waits up to `limit` for `done`.
template <class F>
bool within(std::chrono::milliseconds limit, F done) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

api::server_options limited(std::size_t total, std::size_t per_peer) {
  api::server_options o;
  o.connections = {total, per_peer};
  return o;
}

raw_options from(const std::string& source) {
  raw_options o;
  o.source = source;
  o.timeout = std::chrono::seconds(5);
  return o;
}

const std::string unknown_path = http_request("GET", "/nope");

} // namespace

// One client holding connections that send nothing cannot lock the others
// out: past its own limit, a new connection of that client replaces its
// longest idle one, and another client is served all along.
TEST(http_server, a_client_over_its_limit_gives_up_its_longest_idle_connection) {
  server_env s(limited(256, 4));
  idle_connections hog;
  ASSERT_TRUE(hog.open(s.port, 4));
  EXPECT_EQ(http_raw(s.port, unknown_path, from("127.0.0.2")).status, 404) << "another client";
  EXPECT_EQ(hog.closed(), 0);
  auto a = http_raw(s.port, unknown_path, from("127.0.0.1"));
  EXPECT_EQ(a.status, 404) << a.error;
  EXPECT_TRUE(within(std::chrono::seconds(2), [&] { return hog.closed() == 1; })) << hog.closed();
  EXPECT_FALSE(hog.sockets[0].is_open()) << "the one that waited longest";
}

// All connections taken: a new client is still served, in place of an idle
// connection of the client that holds the most.
TEST(http_server, when_all_are_taken_a_new_client_is_served) {
  server_env s(limited(6, 4));
  idle_connections hog, other;
  ASSERT_TRUE(hog.open(s.port, 4, "127.0.0.1"));
  ASSERT_TRUE(other.open(s.port, 2, "127.0.0.3"));
  auto a = http_raw(s.port, unknown_path, from("127.0.0.2"));
  EXPECT_EQ(a.status, 404) << a.error;
  EXPECT_TRUE(within(std::chrono::seconds(2), [&] { return hog.closed() == 1; })) << hog.closed();
  EXPECT_EQ(other.closed(), 0);
  EXPECT_NE(s.log_text().find("connection limit"), std::string::npos) << s.log_text();
}

// A connection whose request is being answered is never closed to make room:
// with all of them busy, a new one is closed at once.
TEST(http_server, with_every_request_being_answered_a_new_connection_is_closed_at_once) {
  server_env s(limited(2, 32));
  idle_connections busy;
  ASSERT_TRUE(busy.open(s.port, 2));
  // Reads wait for the gateway, which is absent here: busy for 5 s.
  for (auto& socket : busy.sockets)
    boost::asio::write(socket, boost::asio::buffer(http_request("GET", "/status")));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto started = std::chrono::steady_clock::now();
  auto a = http_raw(s.port, unknown_path, from("127.0.0.2"));
  EXPECT_EQ(a.status, 0);
  EXPECT_NE(a.error, "no answer in time") << "closed at once";
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  EXPECT_EQ(busy.closed(), 0);
}

// A connection that never sends a request ends at the header timeout.
TEST(http_server, a_connection_that_sends_nothing_ends_at_the_header_timeout) {
  api::server_options o;
  o.header_timeout = std::chrono::milliseconds(300);
  server_env s(o);
  idle_connections idle;
  ASSERT_TRUE(idle.open(s.port, 1));
  auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(within(std::chrono::seconds(5), [&] { return idle.closed() == 1; }));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
}

// Listening beyond loopback without a token: anyone who reaches the port
// can promote or demote. Said at start.
TEST(http_server, warns_when_reachable_from_other_hosts_without_a_token) {
  const std::string warning = "api.token_file is not set";
  {
    server_env s({}, "0.0.0.0");
    EXPECT_NE(s.log_text().find(warning), std::string::npos) << s.log_text();
  }
  {
    api::server_options o;
    o.auth.token = "t0ken";
    server_env s(o, "0.0.0.0");
    EXPECT_EQ(s.log_text().find(warning), std::string::npos) << s.log_text();
  }
  {
    server_env s;
    EXPECT_EQ(s.log_text().find(warning), std::string::npos) << s.log_text();
  }
}

// slotd starts pg_ctl (and through it the postmaster): without close-on-exec
// they would inherit the API's sockets, and a postmaster that outlives slotd
// would keep its port bound.
TEST(http_server, its_sockets_are_closed_on_exec) {
  server_env s;
  // A keep-alive connection that was answered: the server holds its socket.
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket client(io);
  client.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(s.port)});
  boost::asio::write(client, boost::asio::buffer(std::string("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")));
  std::array<char, 4096> answer{};
  ASSERT_GT(client.read_some(boost::asio::buffer(answer)), 0u);

  auto fds = sockets_on_port(s.port);
  ASSERT_EQ(fds.size(), 2u) << "the listener and one accepted connection";
  int listeners = 0;
  for (int fd : fds) {
    listeners += listening(fd) ? 1 : 0;
    EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0) << (listening(fd) ? "the listener" : "an accepted socket");
  }
  EXPECT_EQ(listeners, 1);
  auto child = descriptors_of_an_exec_child();
  for (int fd : fds) {
    struct stat st {};
    ASSERT_EQ(::fstat(fd, &st), 0);
    auto inode = "socket:[" + std::to_string(st.st_ino) + "]";
    EXPECT_EQ(child.find(inode), std::string::npos) << inode << " inherited:\n" << child;
  }
}

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
