#pragma once
// A real logical replication client for tests: a walsender on the server
// streams a slot's changes (START_REPLICATION ... LOGICAL), the way
// Debezium or pg_recvlogical read them. With `confirm`, a thread reads the
// stream, keeps the inserted ids (test_decoding output) and confirms what
// it read every 100 ms, as pg_recvlogical does (the start of the last
// message received), until stop_confirming(): from then on it keeps
// reading but confirms nothing more (a consumer that crashes before its
// next commit of offsets). Without `confirm`, the connection only holds
// the slot (for less than wal_sender_timeout: nothing answers keepalives).
// Blocking libpq is fine here: this is test code on its own thread.
#include <libpq-fe.h>
#include <sys/select.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "tests/support/pg_harness.hpp"

namespace slotd::testing {

class walsender_consumer {
public:
  walsender_consumer(const node& n, const std::string& slot, const std::string& application_name,
                     bool confirm = false) {
    conn_ = PQconnectdb((n.conninfo("app") + " replication=database application_name=" + application_name).c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string why = PQerrorMessage(conn_);
      PQfinish(conn_);
      throw harness_error("replication connection: " + why);
    }
    PGresult* r = PQexec(conn_, ("START_REPLICATION SLOT " + slot + " LOGICAL 0/0").c_str());
    auto status = PQresultStatus(r);
    PQclear(r);
    if (status != PGRES_COPY_BOTH) {
      std::string why = PQerrorMessage(conn_);
      PQfinish(conn_);
      throw harness_error("START_REPLICATION: " + why);
    }
    if (confirm)
      reader_ = std::thread([this] { read_loop(); });
  }
  ~walsender_consumer() { close(); }
  walsender_consumer(const walsender_consumer&) = delete;
  walsender_consumer& operator=(const walsender_consumer&) = delete;

  // Reads on, but confirms nothing more (keepalives get the last position
  // confirmed before).
  void stop_confirming() { confirming_ = false; }

  // Stops reading (after a last confirmation, unless stop_confirming) and
  // disconnects.
  void close() {
    stop_ = true;
    if (reader_.joinable())
      reader_.join();
    if (conn_)
      PQfinish(conn_);
    conn_ = nullptr;
  }

  std::set<int> ids() const {
    std::lock_guard lock(mu_);
    return ids_;
  }
  std::string error() const {
    std::lock_guard lock(mu_);
    return error_;
  }

private:
  static std::uint64_t be64(const char* p) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
      v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
  }
  static void put64(char* p, std::uint64_t v) {
    for (int i = 7; i >= 0; --i, v >>= 8)
      p[i] = static_cast<char>(v & 0xff);
  }

  void confirm(std::uint64_t lsn) {
    char msg[34];
    msg[0] = 'r';
    put64(msg + 1, lsn);  // written
    put64(msg + 9, lsn);  // flushed
    put64(msg + 17, lsn); // applied
    put64(msg + 25, 0);   // send time: not used by the server for this
    msg[33] = 0;
    if (PQputCopyData(conn_, msg, sizeof msg) != 1 || PQflush(conn_) != 0)
      fail(std::string("feedback: ") + PQerrorMessage(conn_));
  }

  void fail(const std::string& why) {
    std::lock_guard lock(mu_);
    if (error_.empty())
      error_ = why;
  }

  void read_loop() {
    std::uint64_t last = 0;      // start of the last message read
    std::uint64_t confirmed = 0; // what was last confirmed
    auto next_confirm = std::chrono::steady_clock::now();
    while (!stop_) {
      char* buf = nullptr;
      int n = PQgetCopyData(conn_, &buf, 1);
      if (n > 0) {
        if (buf[0] == 'w' && n >= 25) {
          last = std::max(last, be64(buf + 1));
          std::string data(buf + 25, static_cast<std::size_t>(n - 25));
          auto pos = data.find("id[integer]:");
          int id = 0;
          if (data.find("INSERT") != std::string::npos && pos != std::string::npos &&
              std::from_chars(data.data() + pos + 12, data.data() + data.size(), id).ec == std::errc{}) {
            std::lock_guard lock(mu_);
            ids_.insert(id);
          }
        } else if (buf[0] == 'k' && n >= 18 && buf[17]) {
          next_confirm = std::chrono::steady_clock::now(); // the server asks for a reply now
        }
        PQfreemem(buf);
      } else if (n == 0) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(PQsocket(conn_), &fds);
        timeval tv{0, 100000};
        ::select(PQsocket(conn_) + 1, &fds, nullptr, nullptr, &tv);
        if (PQconsumeInput(conn_) == 0) {
          fail(std::string("read: ") + PQerrorMessage(conn_));
          return;
        }
      } else {
        if (n == -2)
          fail(std::string("read: ") + PQerrorMessage(conn_));
        return;
      }
      if (std::chrono::steady_clock::now() >= next_confirm) {
        if (confirming_)
          confirmed = last;
        confirm(confirmed); // 0/0 (nothing yet) is a reply that confirms nothing
        next_confirm = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
      }
    }
    if (confirming_ && last)
      confirm(last);
  }

  PGconn* conn_ = nullptr;
  std::thread reader_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> confirming_{true};
  mutable std::mutex mu_;
  std::set<int> ids_;
  std::string error_;
};

} // namespace slotd::testing
