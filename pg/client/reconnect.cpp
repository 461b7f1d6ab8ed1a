#include "pg/client/reconnect.hpp"

#include <algorithm>

#include "pg/client/log.hpp"

namespace slotd::pg {

backoff::backoff(backoff_options options)
    : options_(options), current_(options.initial), rng_(std::random_device{}()) {}

std::chrono::milliseconds backoff::next_delay() {
  auto delay = current_;
  ++failures_;
  auto grown = std::chrono::duration<double, std::milli>(current_) * options_.factor;
  current_ = std::min(options_.max, std::chrono::duration_cast<std::chrono::milliseconds>(grown));
  if (current_ < options_.initial)
    current_ = options_.initial;
  if (options_.jitter > 0) {
    std::uniform_real_distribution<double> dist(1.0 - std::min(options_.jitter, 1.0), 1.0);
    delay = std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(delay.count()) * dist(rng_)));
  }
  return delay;
}

void backoff::reset() {
  current_ = options_.initial;
  failures_ = 0;
}

void reconnect_policy::on_failure(clock::time_point now, pg::error e) {
  next_attempt_ = now + backoff_.next_delay();
  last_error_ = std::move(e);
}

void reconnect_policy::on_success() {
  backoff_.reset();
  next_attempt_.reset();
  last_error_.reset();
}

boost::asio::awaitable<result<void>> ensure_connected(connection& conn, reconnect_policy& policy, deadline until) {
  if (conn.connected())
    co_return result<void>{};
  auto now = clock::now();
  if (!policy.may_attempt(now)) {
    pg::error e;
    if (policy.last_error())
      e = *policy.last_error();
    e.call = "reconnect";
    e.connection_lost = true;
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(*policy.next_attempt() - now);
    e.message = "backing off " + std::to_string(wait.count()) + " ms after: " +
                (policy.last_error() ? policy.last_error()->what() : std::string("a failure"));
    co_return e;
  }
  auto r = co_await conn.connect(until);
  if (r) {
    if (policy.failures() > 0)
      logger().info("{}: reconnected after {} failed attempts", conn.describe(), policy.failures());
    policy.on_success();
  } else {
    if (policy.failures() == 0)
      logger().warn("{}: connection failed: {}", conn.describe(), r.error().what());
    policy.on_failure(clock::now(), r.error());
  }
  co_return r;
}

} // namespace slotd::pg
