#pragma once
// Blocking work (file writes with fsync) from a coroutine on the I/O
// thread: `co_await run_blocking(pool, f)` runs f() on `pool` and resumes
// the coroutine on its own executor with f's result. (A plain
// `co_await post(pool, use_awaitable)` only passes through the pool: the
// coroutine resumes, and f runs, on the I/O thread.)
#include <functional>
#include <type_traits>

#include "pg/asio.hpp"

namespace slotd::pg {

template <class F>
boost::asio::awaitable<std::invoke_result_t<F>> run_blocking(boost::asio::thread_pool& pool, F f) {
  using R = std::invoke_result_t<F>;
  // Named before it is awaited (g++ 12 destroys a capturing temporary
  // inside co_await co_spawn twice).
  std::function<boost::asio::awaitable<R>()> job = [f = std::move(f)]() mutable -> boost::asio::awaitable<R> {
    co_return f();
  };
  co_return co_await boost::asio::co_spawn(pool.get_executor(), std::move(job), boost::asio::use_awaitable);
}

} // namespace slotd::pg
