#pragma once
// One PostgreSQL connection owned by an actor, used one statement batch at a
// time. The actor queues jobs; each job is a coroutine that runs on the I/O
// thread with the connection (connected first, with reconnect backoff: never
// a tight retry loop) and returns a continuation that the actor then runs in
// its own context. Only the I/O thread ever touches the connection.
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "actors/io_bridge.hpp"
#include "pg/client/connection.hpp"
#include "pg/client/reconnect.hpp"

namespace slotd::actors {

class sql_lane {
public:
  using continuation = std::function<void()>;
  // `connected` says whether the connection could be (re)established; a job
  // that needs the server returns its failure from it.
  using job = std::function<boost::asio::awaitable<continuation>(pg::connection&, const pg::result<void>& connected)>;

  sql_lane(io_runtime& io, pg::connection_options options,
           std::chrono::milliseconds connect_timeout = std::chrono::seconds(5))
      : io_(&io), connect_timeout_(connect_timeout), state_(std::make_shared<io_state>(io, std::move(options))) {}

  ~sql_lane() { retire(); }
  sql_lane(const sql_lane&) = delete;
  sql_lane& operator=(const sql_lane&) = delete;

  template <class Self>
  void submit(Self* self, job j) {
    queue_.push_back(std::move(j));
    pump(self);
  }

  // Use another server or other settings from the next job on (a job in
  // flight finishes on the old connection, which is then closed).
  void reset(pg::connection_options options) {
    retire();
    state_ = std::make_shared<io_state>(*io_, std::move(options));
    connected_ = false;
    server_version_ = 0;
    last_error_.clear();
    description_.clear();
  }

  bool busy() const { return busy_; }
  std::size_t queued() const { return queue_.size(); }
  bool connected() const { return connected_; }
  const std::string& last_error() const { return last_error_; }
  int server_version() const { return server_version_; }

  nlohmann::json dump() const {
    return {{"connection", description_},
            {"connected", connected_},
            {"busy", busy_},
            {"queued", queue_.size()},
            {"server_version", server_version_},
            {"connect_failures", failures_},
            {"last_error", last_error_}};
  }

private:
  struct io_state {
    io_state(io_runtime& io, pg::connection_options options) : conn(io.executor(), std::move(options)) {}
    pg::connection conn;
    pg::reconnect_policy policy;
  };

  // The connection is closed on the I/O thread, never on an actor's.
  void retire() {
    if (state_)
      boost::asio::post(io_->executor(), [s = std::move(state_)]() mutable { s.reset(); });
  }

  struct outcome {
    continuation next;
    bool connected = false;
    int server_version = 0;
    unsigned failures = 0;
    std::string error;
    std::string description;
  };

  template <class Self>
  void pump(Self* self) {
    if (busy_ || queue_.empty())
      return;
    busy_ = true;
    auto j = std::move(queue_.front());
    queue_.pop_front();
    auto state = state_;
    auto timeout = connect_timeout_;
    std::function<boost::asio::awaitable<outcome>()> work = [state, j, timeout]() -> boost::asio::awaitable<outcome> {
      auto until = pg::clock::now() + timeout;
      auto connected = co_await pg::ensure_connected(state->conn, state->policy, until);
      outcome o;
      o.next = co_await j(state->conn, connected);
      o.connected = state->conn.connected();
      o.server_version = state->conn.server_version();
      o.failures = state->policy.failures();
      if (!connected)
        o.error = connected.error().what();
      o.description = state->conn.describe();
      co_return o;
    };
    on_io<outcome>(*io_, self, std::move(work), [this, self](outcome o) {
      busy_ = false;
      connected_ = o.connected;
      if (o.server_version)
        server_version_ = o.server_version;
      failures_ = o.failures;
      if (!o.error.empty())
        last_error_ = o.error;
      if (!o.description.empty())
        description_ = o.description;
      if (o.next)
        o.next();
      pump(self);
    });
  }

  io_runtime* io_;
  std::chrono::milliseconds connect_timeout_;
  std::shared_ptr<io_state> state_;
  std::deque<job> queue_;
  bool busy_ = false;
  bool connected_ = false;
  int server_version_ = 0;
  unsigned failures_ = 0;
  std::string last_error_;
  std::string description_;
};

} // namespace slotd::actors
