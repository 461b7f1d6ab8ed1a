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

} // namespace

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
