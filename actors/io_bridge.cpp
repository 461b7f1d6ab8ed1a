#include "actors/io_bridge.hpp"

namespace slotd::actors {

io_runtime::io_runtime()
    : ctx_(1), // one thread runs it: work posted from that thread skips the lock and the reactor's wake-up
      guard_(std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
          ctx_.get_executor())),
      thread_([this] { ctx_.run(); }) {}

io_runtime::~io_runtime() { stop(); }

void io_runtime::stop() {
  guard_.reset();
  ctx_.stop();
  blocking_.stop();
  blocking_.join();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id())
    thread_.join();
}

} // namespace slotd::actors
