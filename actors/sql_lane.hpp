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
      : core_(std::make_shared<core>(io, connect_timeout)) {
    core_->state = std::make_shared<io_state>(io, std::move(options));
  }

  // A job in flight finishes on the I/O thread; its continuation still runs
  // (it answers the actor's requester), but nothing of the lane is touched.
  ~sql_lane() { core_->retire(); }
  sql_lane(const sql_lane&) = delete;
  sql_lane& operator=(const sql_lane&) = delete;

  template <class Self>
  void submit(Self* self, job j) {
    core_->queue.push_back(std::move(j));
    pump(self, core_);
  }

  // Use another server or other settings from the next job on (a job in
  // flight finishes on the old connection, which is then closed).
  void reset(pg::connection_options options) {
    auto& c = *core_;
    c.retire();
    c.state = std::make_shared<io_state>(*c.io, std::move(options));
    ++c.generation;
    c.connected = false;
    c.server_version = 0;
    c.last_error.clear();
    c.description.clear();
  }

  bool busy() const { return core_->busy; }
  std::size_t queued() const { return core_->queue.size(); }
  bool connected() const { return core_->connected; }
  const std::string& last_error() const { return core_->last_error; }
  int server_version() const { return core_->server_version; }

  nlohmann::json dump() const {
    auto& c = *core_;
    return {{"connection", c.description},
            {"connected", c.connected},
            {"busy", c.busy},
            {"queued", c.queue.size()},
            {"server_version", c.server_version},
            {"connect_failures", c.failures},
            {"last_error", c.last_error}};
  }

private:
  struct io_state {
    io_state(io_runtime& io, pg::connection_options options) : conn(io.executor(), std::move(options)) {}
    pg::connection conn;
    pg::reconnect_policy policy;
  };

  // What a completion may touch: shared with it (weakly), so that a lane
  // destroyed or reset while a job is in flight is never written through a
  // dangling pointer.
  struct core {
    core(io_runtime& i, std::chrono::milliseconds t) : io(&i), connect_timeout(t) {}
    io_runtime* io;
    std::chrono::milliseconds connect_timeout;
    std::shared_ptr<io_state> state;
    std::uint64_t generation = 0; // reset() starts a new one
    std::deque<job> queue;
    bool busy = false;
    bool connected = false;
    int server_version = 0;
    unsigned failures = 0;
    std::string last_error;
    std::string description;

    // The connection is closed on the I/O thread, never on an actor's.
    void retire() {
      if (state)
        boost::asio::post(io->executor(), [s = std::move(state)]() mutable { s.reset(); });
    }
  };

  struct outcome {
    continuation next;
    bool connected = false;
    int server_version = 0;
    unsigned failures = 0;
    std::string error;
    std::string description;
  };

  template <class Self>
  static void pump(Self* self, const std::shared_ptr<core>& c) {
    if (c->busy || c->queue.empty() || !c->state)
      return;
    c->busy = true;
    auto j = std::move(c->queue.front());
    c->queue.pop_front();
    auto state = c->state;
    auto timeout = c->connect_timeout;
    auto generation = c->generation;
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
    std::weak_ptr<core> weak = c;
    on_io<outcome>(*c->io, self, std::move(work), [weak, self, generation](outcome o) {
      auto live = weak.lock();
      if (live) {
        live->busy = false;
        if (generation == live->generation) { // not the connection of before a reset
          live->connected = o.connected;
          if (o.server_version)
            live->server_version = o.server_version;
          live->failures = o.failures;
          if (!o.error.empty())
            live->last_error = o.error;
          if (!o.description.empty())
            live->description = o.description;
        }
      }
      if (o.next)
        o.next();
      if (live)
        pump(self, live);
    });
  }

  std::shared_ptr<core> core_;
};

} // namespace slotd::actors
