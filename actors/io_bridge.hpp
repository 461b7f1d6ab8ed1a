#pragma once
// The bridge between CAF actors and the one Asio I/O thread (docs/design.md
// §2.7): an actor starts a coroutine on the I/O thread; when
// it finishes, its result comes back to the actor as an `io_done` message
// through a weak handle, and the actor's continuation runs in the actor's
// own context. If the actor is gone by then, the result is dropped.
#include <exception>
#include <functional>
#include <memory>
#include <thread>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <caf/weak_intrusive_ptr.hpp>
#include <spdlog/spdlog.h>

#include "actors/messages.hpp"
#include "pg/asio.hpp"

namespace slotd::actors {

// The io_context and its thread. Runs until stop().
class io_runtime {
public:
  io_runtime();
  ~io_runtime();
  io_runtime(const io_runtime&) = delete;
  io_runtime& operator=(const io_runtime&) = delete;

  boost::asio::any_io_executor executor() { return ctx_.get_executor(); }
  boost::asio::io_context& context() { return ctx_; }
  // For blocking work (fsyncs of slot files): co_await
  // pg::run_blocking(pool, f) (pg/blocking.hpp) runs f there.
  boost::asio::thread_pool& blocking_pool() { return blocking_; }
  // Lets pending work be dropped and joins the thread.
  void stop();

private:
  boost::asio::io_context ctx_;
  boost::asio::thread_pool blocking_{1};
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_;
  std::thread thread_;
};

// Run `work` on the I/O thread, then `done(result)` on `self`. R must be
// default-constructible: an escaped exception (a bug) is logged and `done`
// receives R{}.
template <class R, class Self>
void on_io(io_runtime& io, Self* self, std::function<boost::asio::awaitable<R>()> work, std::function<void(R)> done) {
  caf::weak_actor_ptr weak{self->ctrl()};
  boost::asio::co_spawn(io.executor(), std::move(work),
                        [weak, done = std::move(done)](std::exception_ptr ep, R value) mutable {
                          if (ep) {
                            try {
                              std::rethrow_exception(ep);
                            } catch (const std::exception& e) {
                              spdlog::error("I/O task failed with an exception: {}", e.what());
                            } catch (...) {
                              spdlog::error("I/O task failed with an unknown exception");
                            }
                          }
                          if (auto strong = weak.lock()) {
                            auto run = [done = std::move(done), value = std::move(value)]() mutable {
                              done(std::move(value));
                            };
                            caf::anon_send(caf::actor_cast<caf::actor>(strong), io_done{std::move(run)});
                          }
                        });
}

} // namespace slotd::actors
