#pragma once
// Reconnect policy, one level above the connection (userver's layering): an
// exponential backoff that decides when the next attempt may happen, and
// ensure_connected(), which never sleeps: too early -> an error value that
// says when, so the caller's next tick retries.
#include <chrono>
#include <optional>
#include <random>

#include "pg/client/connection.hpp"

namespace slotd::pg {

struct backoff_options {
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds max{30000};
  double factor = 2.0;
  double jitter = 0.0; // 0..1: each delay is multiplied by a random value in [1-jitter, 1]
};

class backoff {
public:
  explicit backoff(backoff_options options = {});
  // The delay before the next attempt; grows by `factor` up to `max`.
  std::chrono::milliseconds next_delay();
  void reset();
  unsigned failures() const { return failures_; }

private:
  backoff_options options_;
  std::chrono::milliseconds current_;
  unsigned failures_ = 0;
  std::minstd_rand rng_;
};

class reconnect_policy {
public:
  explicit reconnect_policy(backoff_options options = {}) : backoff_(options) {}
  bool may_attempt(clock::time_point now) const { return !next_attempt_ || now >= *next_attempt_; }
  void on_failure(clock::time_point now, pg::error e);
  void on_success();
  std::optional<clock::time_point> next_attempt() const { return next_attempt_; }
  const std::optional<pg::error>& last_error() const { return last_error_; }
  unsigned failures() const { return backoff_.failures(); }

private:
  backoff backoff_;
  std::optional<clock::time_point> next_attempt_;
  std::optional<pg::error> last_error_;
};

// Connected -> ok at once. Otherwise, when the policy allows, connect (bounded
// by `until`) and record the outcome; when it does not, an error
// (call "reconnect", connection_lost) carrying the last failure's SQLSTATE.
// `conn` and `policy` must outlive the returned awaitable.
boost::asio::awaitable<result<void>> ensure_connected(connection& conn, reconnect_policy& policy, deadline until);

} // namespace slotd::pg
