#pragma once
// Helpers shared by the pg tests that run coroutines (no server needed).
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <exception>

#include "pg/asio.hpp"

namespace slotd::pg::test_support {

// Runs one test coroutine to completion on a fresh io_context. `body` takes
// the io_context and returns an awaitable; it stays alive until the end.
template <class F>
void run_io(F body) {
  boost::asio::io_context io;
  std::exception_ptr failure;
  boost::asio::co_spawn(io, body(io), [&](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure)
    std::rethrow_exception(failure);
}

// A port on 127.0.0.1 where nothing listens (bound, then released).
inline int unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

} // namespace slotd::pg::test_support
