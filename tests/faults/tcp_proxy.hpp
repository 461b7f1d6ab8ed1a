#pragma once
// A TCP proxy on loopback between an agent and a server, under the test's
// control: it passes bytes both ways, or holds them (a blackholed network:
// connections open, nothing arrives), for every connection or only for the
// one whose client sends a given text (for example the query that fetches
// slot files). Held bytes are passed on at release, the way TCP delivers
// them once a network comes back.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace slotd::testing {

class tcp_proxy {
public:
  explicit tcp_proxy(int target_port) : target_(target_port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listener_, 64) != 0)
      throw std::runtime_error("tcp_proxy: cannot listen");
    socklen_t len = sizeof a;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~tcp_proxy() {
    stop_ = true;
    thread_.join();
    for (auto& c : conns_)
      c->close_both();
    ::close(listener_);
  }
  tcp_proxy(const tcp_proxy&) = delete;
  tcp_proxy& operator=(const tcp_proxy&) = delete;

  int port() const { return port_; }

  // Hold every connection, old and new (true), or pass again (false).
  void hold_all(bool on) { hold_all_ = on; }

  // Hold the first connection whose client sends `text` (once), from the
  // bytes that carry it on.
  void hold_on(std::string text) {
    std::lock_guard l(mu_);
    pattern_ = std::move(text);
    held_ = false;
  }
  // A connection is held on the pattern.
  bool held() const { return held_; }
  // Pass the held connection's bytes on, and everything after them.
  void release() { release_ = true; }
  // Connections accepted so far.
  int accepted() const { return accepted_; }

private:
  struct conn {
    int client = -1, server = -1;
    std::string to_server, to_client; // held bytes
    bool frozen = false;              // held on the pattern
    std::string seen;                 // the tail of what the client sent, for the pattern
    void close_both() {
      if (client >= 0)
        ::close(client);
      if (server >= 0)
        ::close(server);
      client = server = -1;
    }
  };

  static bool send_all(int fd, const std::string& b) {
    std::size_t done = 0;
    while (done < b.size()) {
      auto n = ::send(fd, b.data() + done, b.size() - done, MSG_NOSIGNAL);
      if (n <= 0)
        return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

  int connect_target() const {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(target_));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }

  // Read what `from` has; false when it closed.
  bool pump(conn& c, bool client_side) {
    char buf[16384];
    int from = client_side ? c.client : c.server;
    auto n = ::recv(from, buf, sizeof buf, 0);
    if (n <= 0)
      return false;
    std::string data(buf, static_cast<std::size_t>(n));
    if (client_side) {
      std::lock_guard l(mu_);
      if (!pattern_.empty() && !held_) {
        c.seen += data;
        if (c.seen.find(pattern_) != std::string::npos) {
          c.frozen = true;
          held_ = true;
          pattern_.clear();
        } else if (c.seen.size() > 4096) {
          c.seen.erase(0, c.seen.size() - 4096);
        }
      }
    }
    if (c.frozen || hold_all_) {
      (client_side ? c.to_server : c.to_client) += data;
      return true;
    }
    return send_all(client_side ? c.server : c.client, data);
  }

  void run() {
    while (!stop_) {
      if (release_.exchange(false))
        for (auto& c : conns_)
          c->frozen = false;
      // Held bytes go out once nothing holds their connection.
      for (auto& c : conns_)
        if (!c->frozen && !hold_all_ && c->server < 0) {
          send_all(c->client, c->to_client); // what the server said before it went
          c->close_both();
        } else if (!c->frozen && !hold_all_ && (!c->to_server.empty() || !c->to_client.empty())) {
          bool ok = send_all(c->server, c->to_server) && send_all(c->client, c->to_client);
          c->to_server.clear();
          c->to_client.clear();
          if (!ok)
            c->close_both();
        }
      std::erase_if(conns_, [](auto& c) { return c->client < 0; });
      std::vector<pollfd> fds{{listener_, POLLIN, 0}};
      for (auto& c : conns_) {
        fds.push_back({c->client, POLLIN, 0});
        fds.push_back({c->server, POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), 50) <= 0)
        continue;
      if (fds[0].revents & POLLIN) {
        int cl = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (cl >= 0) {
          ++accepted_;
          auto c = std::make_unique<conn>();
          c->client = cl;
          c->server = connect_target();
          if (c->server < 0)
            c->close_both();
          else
            conns_.push_back(std::move(c));
        }
      }
      for (std::size_t i = 0; i + 1 < fds.size(); i += 2) {
        auto& c = *conns_[i / 2];
        if (c.client < 0)
          continue;
        bool client_open = true, server_open = true;
        if (fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR))
          client_open = pump(c, true);
        if (client_open && c.server >= 0 && (fds[i + 2].revents & (POLLIN | POLLHUP | POLLERR)))
          server_open = pump(c, false);
        if (!client_open) {
          c.close_both();
        } else if (!server_open) {
          // Held: the client learns it only at release (a blackholed
          // network does not carry the close either).
          ::close(c.server);
          c.server = -1;
          if (!c.frozen && !hold_all_)
            c.close_both();
        }
      }
    }
  }

  int target_;
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::vector<std::unique_ptr<conn>> conns_; // the proxy thread's
  std::mutex mu_;
  std::string pattern_;
  std::atomic<bool> stop_{false}, hold_all_{false}, held_{false}, release_{false};
  std::atomic<int> accepted_{0};
};

} // namespace slotd::testing
