#pragma once
// The restart of a slot copy, as one coroutine on the I/O thread: write the
// durable intent record, stop the local server, install the slot files,
// start the server again. The truth about the server is its postmaster.pid,
// not a command's exit code: a stop command may stop the server and exit
// non-zero, a start command may fail after the server came up. Whatever
// happened after a stop, the server is started again (retried with
// backoff); the intent record is removed once it runs.
#include <chrono>
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "pg/asio.hpp"
#include "pg/server/server_control.hpp"
#include "pg/slotfile/install.hpp"

namespace slotd::pg::server {

struct restart_outcome {
  bool stopped = false;  // the server went down (one restart)
  bool running = false;  // it runs now (an outcome lost to an exception says "not running": checked again)
  std::vector<std::string> installed;
  std::string error;
  bool cancelled = false; // `cancel` was set before the stop: nothing touched
  unsigned start_attempts = 0;
  std::chrono::milliseconds stop_ms{0}, install_ms{0}, start_ms{0};
};

// The first start after a copy tries this often (1 s, 2 s, ... apart).
constexpr unsigned copy_start_attempts = 3;

// File work with fsyncs runs on `blocking` (never on the I/O thread).
// `recopies` (slots replaced in place) are recorded in state_dir once the
// server is down: only a copy that restarted the server counts toward the
// re-copy limit. `cancel` is read once more right before the stop: set, the
// staged files and the intent record are removed and nothing is stopped.
boost::asio::awaitable<restart_outcome> restart_with_slot_files(boost::asio::thread_pool& blocking,
                                                                server_options server,
                                                                std::filesystem::path state_dir,
                                                                std::vector<slotfile::state_file> files,
                                                                std::vector<std::string> recopies,
                                                                std::shared_ptr<const std::atomic<bool>> cancel);

// Start the server until it runs (at most `attempts` starts); then remove
// the intent record. For a start that failed after a copy, and for a copy
// that an earlier agent left interrupted.
boost::asio::awaitable<restart_outcome> start_after_copy(boost::asio::thread_pool& blocking, server_options server,
                                                         std::filesystem::path state_dir, unsigned attempts);

// Re-copies made without a restart (a copy created again on the replica,
// copy_method create) count toward the same limit: recorded in state_dir
// now. "" when recorded, else why not.
boost::asio::awaitable<std::string> record_recopies_now(boost::asio::thread_pool& blocking,
                                                        std::filesystem::path state_dir,
                                                        std::vector<std::string> slots);

} // namespace slotd::pg::server
