#pragma once
// CAF's scheduler and clock on the agent's one Asio I/O thread
// (docs/design.md §2.7).
//
// With CAF's own scheduler, every hand-over between an actor and the I/O
// thread (a query sent, its result back) woke a second thread, and every
// delayed message woke CAF's clock thread twice (once to be inserted, once
// when due): on an idle agent about a dozen thread wake-ups per cycle for
// two queries. Here the actors run on the I/O thread itself: an actor made
// ready is an Asio job posted to the io_context (from the I/O thread: no
// wake-up, no lock), and delayed messages and request timeouts are one Asio
// timer on that thread. An idle cycle then wakes one thread once for its
// tick and once per query answer.
//
// What still crosses threads (the main thread's scoped actors, the probe
// thread, a finished child process, the blocking pool) posts to the
// io_context like any other Asio work.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <caf/detail/simple_actor_clock.hpp>
#include <caf/execution_unit.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

namespace caf {
class actor_system_config;
}

namespace slotd::actors {

class io_runtime;

// CAF's delayed messages and timeouts, due on an Asio timer of the I/O
// thread. Thread-safe: CAF sets timeouts from any thread (a scoped actor's
// request on the main thread); the timer itself is only touched on the I/O
// thread.
class io_clock final : public caf::detail::simple_actor_clock {
public:
  using super = caf::detail::simple_actor_clock;

  explicit io_clock(boost::asio::io_context& io);
  ~io_clock() override;
  io_clock(const io_clock&) = delete;
  io_clock& operator=(const io_clock&) = delete;

  void set_ordinary_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type, uint64_t id) override;
  void set_request_timeout(time_point t, caf::abstract_actor* self, caf::message_id id) override;
  void set_multi_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type, uint64_t id) override;
  void cancel_ordinary_timeout(caf::abstract_actor* self, caf::atom_value type) override;
  void cancel_request_timeout(caf::abstract_actor* self, caf::message_id id) override;
  void cancel_timeouts(caf::abstract_actor* self) override;
  void schedule_message(time_point t, caf::strong_actor_ptr receiver, caf::mailbox_element_ptr content) override;
  void schedule_message(time_point t, caf::group target, caf::strong_actor_ptr sender,
                        caf::message content) override;
  void cancel_all() override;

  // Timer arms so far (for tests: a later event than the one armed for
  // arms nothing).
  std::uint64_t arms() const;

  // On the I/O thread, when the coordinator stops: the pending timer wait is
  // cancelled and the timer is never armed again (no handler may outlive
  // the io_context's run, nor fire for a clock that is gone).
  void cancel_timer_on_io();

private:
  // What the timer's handlers share with the clock: they may run after the
  // clock is gone (the actor system destroyed while the I/O thread runs),
  // and then find `owner` null.
  struct core {
    explicit core(boost::asio::io_context& io) : timer(io) {}
    std::mutex mx;
    io_clock* owner = nullptr;             // under mx
    time_point armed = time_point::max();  // under mx: what the timer is set for
    std::uint64_t arms = 0;                // under mx
    bool stopped = false;                  // under mx: never armed again
    boost::asio::steady_timer timer;       // I/O thread only
  };

  // After a change of the schedule (mx held): arms the timer if the earliest
  // event is earlier than what it is armed for. A later one is left to the
  // timer's next expiry, which arms it again.
  void rearm_locked();
  static void arm(const std::shared_ptr<core>& c, time_point due);
  // Moves the due events out of the schedule (mx held): they are shipped
  // and destroyed after the lock is released, since delivering or dropping
  // one may end an actor, whose cleanup cancels its timeouts here.
  std::vector<unique_delayed_event_ptr> take_due_locked();
  static void fire(const std::shared_ptr<core>& c);

  boost::asio::io_context& io_;
  std::shared_ptr<core> core_;
};

// The coordinator: no worker threads, no clock thread.
class io_coordinator final : public caf::scheduler::abstract_coordinator {
public:
  io_coordinator(caf::actor_system& sys, boost::asio::io_context& io);

  void enqueue(caf::resumable* job) override;
  io_clock& clock() noexcept override { return clock_; }

  boost::asio::io_context& context() { return io_; }

protected:
  void stop() override;

private:
  class unit final : public caf::execution_unit {
  public:
    unit(caf::actor_system* sys, io_coordinator* owner) : caf::execution_unit(sys), owner_(owner) {}
    void exec_later(caf::resumable* job) override { owner_->enqueue(job); }

  private:
    io_coordinator* owner_;
  };

  void run(caf::resumable* job);
  void job_done(); // one queued job less; wakes stop() at the last one

  boost::asio::io_context& io_;
  unit unit_;
  io_clock clock_;
  std::atomic<long> queued_{0}; // jobs posted and not yet run
  std::atomic<bool> stopped_{false};
  std::mutex drain_mx_;
  std::condition_variable drained_; // the last queued job ran, once stopped_

};

// Messages an actor handles before it yields the I/O thread.
inline constexpr std::size_t io_max_throughput = 64;

// The agent's actor system runs its actors on `io`'s thread: `io` must be
// constructed before the actor system and stopped only after the actor
// system is destroyed (its destructor waits for the actors, which need the
// thread). Call before constructing the actor system.
void run_actors_on_io_thread(caf::actor_system_config& cfg, io_runtime& io);

} // namespace slotd::actors
