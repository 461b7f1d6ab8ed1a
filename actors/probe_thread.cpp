#include "actors/probe_thread.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace slotd::actors {

namespace {

struct probe_thread {
  std::mutex m;
  std::condition_variable cv;
  std::deque<std::function<void()>> jobs;

  probe_thread() {
    std::thread([this] {
      for (;;) {
        std::function<void()> job;
        {
          std::unique_lock lock{m};
          cv.wait(lock, [this] { return !jobs.empty(); });
          job = std::move(jobs.front());
          jobs.pop_front();
        }
        try {
          job();
        } catch (...) {
          // A job's own failure (it reports its errors itself): the thread
          // lives on for the next probes.
        }
      }
    }).detach();
  }
};

} // namespace

void run_probe(std::function<void()> job) {
  // Never destroyed: the detached thread may wait on it (or hang in a job)
  // while the process exits.
  static auto* p = new probe_thread;
  {
    std::lock_guard lock{p->m};
    p->jobs.push_back(std::move(job));
  }
  p->cv.notify_one();
}

} // namespace slotd::actors
