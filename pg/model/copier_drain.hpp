#pragma once
// What the slot copier does about an agent shutdown (SIGTERM) while a copy
// holds the local server (docs/configuration.md, "Shutdown during a copy").
// The rule: a copy that has not stopped the server is dropped; one that
// has is finished first (its restart, with its own start attempts); a
// server already down after a copy gets one start attempt made after the
// shutdown was asked (or two, when one was under way). Whatever the
// attempts give, the copier then answers, and the copy intent record
// (state_dir) stays for the next slotd when the server is still down.
namespace slotd::model {

// Where the copier stands when the shutdown is asked.
enum class copier_activity {
  idle,        // no copy, or one that ended
  fetching,    // fetching or validating files: the server is untouched (the copy is cancelled)
  restarting,  // stop, install and start under way
  server_down, // the server is down after a copy: starts are retried with backoff
};

// What to do at once.
enum class shutdown_step {
  answer,            // nothing holds the server: answer now
  wait,              // answer when the copy (or the start under way) ends
  start_then_answer, // start the server once more now, answer after that attempt
};
shutdown_step on_shutdown(copier_activity activity, bool start_running);

// After a start that failed (a copy's own restart, or a retry while the
// server is down).
enum class failed_start_step {
  retry_later, // no shutdown: the next attempt after the backoff
  start_again, // shutting down, and no attempt began after the shutdown: one now
  answer,      // shutting down, an attempt after the shutdown failed too: answer (the record stays)
};
// `started_since_shutdown`: an attempt began after the shutdown was asked.
// The copier passes true for a copy's own restart (it made several
// attempts with backoff; the last may have begun before the shutdown).
failed_start_step after_failed_start(bool shutting_down, bool started_since_shutdown);

} // namespace slotd::model
