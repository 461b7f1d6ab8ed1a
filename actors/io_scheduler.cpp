#include "actors/io_scheduler.hpp"

#include <future>
#include <thread>

#include <boost/asio/post.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/logger.hpp>
#include <caf/resumable.hpp>
#include <spdlog/spdlog.h>

#include "actors/io_bridge.hpp"

namespace slotd::actors {

namespace {

// Runs `f` on the I/O thread and waits for it while that thread runs.
// Returns whether it ran (false when the I/O thread no longer runs).
template <class F>
bool run_on_io_and_wait(boost::asio::io_context& io, F f) {
  if (io.stopped())
    return false;
  if (io.get_executor().running_in_this_thread()) {
    f();
    return true;
  }
  auto done = std::make_shared<std::promise<void>>();
  auto ran = done->get_future();
  boost::asio::post(io, [f = std::move(f), done]() mutable {
    f();
    done->set_value();
  });
  while (ran.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready)
    if (io.stopped())
      return false;
  return true;
}

} // namespace

// -- clock --------------------------------------------------------------------

io_clock::io_clock(boost::asio::io_context& io) : io_(io), core_(std::make_shared<core>(io)) { core_->owner = this; }

io_clock::~io_clock() {
  std::lock_guard lock(core_->mx);
  core_->owner = nullptr;
}

std::uint64_t io_clock::arms() const {
  std::lock_guard lock(core_->mx);
  return core_->arms;
}

void io_clock::rearm_locked() {
  const auto& events = schedule();
  if (events.empty() || core_->stopped)
    return;
  auto due = events.begin()->first;
  if (due >= core_->armed)
    return; // the timer fires earlier, and arms again then
  core_->armed = due;
  ++core_->arms;
  if (io_.get_executor().running_in_this_thread()) {
    arm(core_, due);
    return;
  }
  boost::asio::post(io_, [c = core_, due] {
    std::lock_guard lock(c->mx);
    if (c->armed == due && !c->stopped) // not superseded by an earlier event meanwhile
      arm(c, due);
  });
}

void io_clock::arm(const std::shared_ptr<core>& c, time_point due) {
  c->timer.expires_at(due); // a pending wait ends with operation_aborted
  c->timer.async_wait([c](const boost::system::error_code& ec) {
    if (!ec)
      fire(c);
  });
}

std::vector<io_clock::unique_delayed_event_ptr> io_clock::take_due_locked() {
  std::vector<unique_delayed_event_ptr> due;
  auto t = now();
  auto i = schedule_.begin();
  while (i != schedule_.end() && i->first <= t) {
    if (i->second->backlink != actor_lookup_.end())
      actor_lookup_.erase(i->second->backlink);
    due.push_back(std::move(i->second));
    i = schedule_.erase(i);
  }
  return due;
}

void io_clock::fire(const std::shared_ptr<core>& c) {
  std::vector<unique_delayed_event_ptr> due; // destroyed last, without the lock
  io_clock* owner = nullptr;
  {
    std::lock_guard lock(c->mx);
    if (!c->owner || c->stopped)
      return;
    owner = c->owner;
    c->armed = time_point::max();
    due = owner->take_due_locked();
  }
  // The clock lives while the timer can fire: the coordinator stops it on
  // this thread (cancel_timer_on_io) before it is destroyed.
  for (auto& e : due)
    owner->ship(*e); // enqueues: posts, never runs an actor here
  std::lock_guard lock(c->mx);
  owner->rearm_locked();
}

void io_clock::cancel_timer_on_io() {
  std::lock_guard lock(core_->mx);
  core_->stopped = true;
  core_->armed = time_point::max();
  core_->timer.cancel();
}

#define SLOTD_CLOCK_LOCKED(call)                                                                                     \
  std::lock_guard lock(core_->mx);                                                                                   \
  super::call;                                                                                                       \
  rearm_locked()

void io_clock::set_ordinary_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type, uint64_t id) {
  SLOTD_CLOCK_LOCKED(set_ordinary_timeout(t, self, type, id));
}
void io_clock::set_request_timeout(time_point t, caf::abstract_actor* self, caf::message_id id) {
  SLOTD_CLOCK_LOCKED(set_request_timeout(t, self, id));
}
void io_clock::set_multi_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type, uint64_t id) {
  SLOTD_CLOCK_LOCKED(set_multi_timeout(t, self, type, id));
}
void io_clock::cancel_ordinary_timeout(caf::abstract_actor* self, caf::atom_value type) {
  SLOTD_CLOCK_LOCKED(cancel_ordinary_timeout(self, type));
}
void io_clock::cancel_request_timeout(caf::abstract_actor* self, caf::message_id id) {
  SLOTD_CLOCK_LOCKED(cancel_request_timeout(self, id));
}
void io_clock::cancel_timeouts(caf::abstract_actor* self) { SLOTD_CLOCK_LOCKED(cancel_timeouts(self)); }
void io_clock::schedule_message(time_point t, caf::strong_actor_ptr receiver, caf::mailbox_element_ptr content) {
  SLOTD_CLOCK_LOCKED(schedule_message(t, std::move(receiver), std::move(content)));
}
void io_clock::schedule_message(time_point t, caf::group target, caf::strong_actor_ptr sender,
                                caf::message content) {
  SLOTD_CLOCK_LOCKED(schedule_message(t, std::move(target), std::move(sender), std::move(content)));
}
void io_clock::cancel_all() {
  schedule_map dropped; // destroyed after the lock is released (see take_due_locked)
  std::lock_guard lock(core_->mx);
  dropped.swap(schedule_);
  actor_lookup_.clear();
}

#undef SLOTD_CLOCK_LOCKED

// -- coordinator --------------------------------------------------------------

io_coordinator::io_coordinator(caf::actor_system& sys, boost::asio::io_context& io)
    : abstract_coordinator(sys), io_(io), unit_(&sys, this), clock_(io) {}

void io_coordinator::enqueue(caf::resumable* job) {
  ++queued_; // before the check: stop() waits for every job that passed it
  if (stopped_.load()) {
    job_done();
    cleanup_and_release(job);
    return;
  }
  boost::asio::post(io_, [this, job] { run(job); });
}

void io_coordinator::run(caf::resumable* job) {
  switch (job->resume(&unit_, max_throughput())) {
  case caf::resumable::resume_later:
    enqueue(job); // keeps its reference
    break;
  case caf::resumable::done:
  case caf::resumable::awaiting_message:
    intrusive_ptr_release(job); // enqueued again (with a new reference) when a message arrives
    break;
  case caf::resumable::shutdown_execution_unit:
    break; // only CAF's own workers get this
  }
  job_done();
}

void io_coordinator::job_done() {
  if (--queued_ == 0 && stopped_.load()) {
    std::lock_guard lock(drain_mx_);
    drained_.notify_all();
  }
}

void io_coordinator::stop() {
  // The actor system is destroyed on another thread than the I/O thread,
  // while that thread runs (run_actors_on_io_thread): from the I/O thread
  // the waits below would wait for themselves, and with the I/O thread
  // stopped the actor system's destructor has already waited for ever for
  // its actors.
  if (io_.get_executor().running_in_this_thread())
    spdlog::critical("the actor system is destroyed on its own I/O thread: its jobs cannot be waited for");
  else if (io_.stopped())
    spdlog::critical("the actor system is destroyed after its I/O thread stopped: queued jobs are dropped");
  stop_actors(); // CAF's utility actors (the printer)
  stopped_.store(true);
  // Jobs queued before the stop run (an exit message to an internal actor);
  // any enqueued from now on is released unrun.
  // No deadline while the I/O thread runs: the jobs hold this coordinator.
  if (!io_.get_executor().running_in_this_thread()) {
    std::unique_lock lock(drain_mx_);
    while (queued_.load() > 0 && !io_.stopped())
      drained_.wait_for(lock, std::chrono::milliseconds(100)); // and io_.stopped() is looked at again
  }
  clock_.cancel_all();
  // The timer's cancelled wait completes on the I/O thread (the second round
  // waits for it): no handler is left for the io_context's destruction.
  // CAF keeps a reference to its logger in a thread-local of each thread
  // that spawned an actor (the HA loop spawns its workers here); the actor
  // system's destructor waits until the logger is destroyed, and the I/O
  // thread lives on after it: that reference goes now.
  run_on_io_and_wait(
      io_,
      [this] {
        clock_.cancel_timer_on_io();
        caf::logger::set_current_actor_system(nullptr);
      });
  run_on_io_and_wait(io_, [] {});
}

void run_actors_on_io_thread(caf::actor_system_config& cfg, io_runtime& io) {
  // An actor with a long mailbox yields the thread after this many messages
  // (to the sockets and the other actors), and is posted again.
  cfg.set("scheduler.max-throughput", io_max_throughput);
  auto* ctx = &io.context();
  cfg.module_factories.push_back(
      [ctx](caf::actor_system& sys) -> caf::actor_system::module* { return new io_coordinator(sys, *ctx); });
}

} // namespace slotd::actors
