#include "pg/model/copier_drain.hpp"

namespace slotd::model {

shutdown_step on_shutdown(copier_activity activity, bool start_running) {
  switch (activity) {
  case copier_activity::idle:
    return shutdown_step::answer;
  case copier_activity::fetching:
  case copier_activity::restarting:
    return shutdown_step::wait;
  case copier_activity::server_down:
    // Between two attempts: one more now (the scheduled one is dropped).
    // An attempt under way: its result decides (after_failed_start).
    return start_running ? shutdown_step::wait : shutdown_step::start_then_answer;
  }
  return shutdown_step::wait;
}

failed_start_step after_failed_start(bool shutting_down, bool started_since_shutdown) {
  if (!shutting_down)
    return failed_start_step::retry_later;
  return started_since_shutdown ? failed_start_step::answer : failed_start_step::start_again;
}

} // namespace slotd::model
