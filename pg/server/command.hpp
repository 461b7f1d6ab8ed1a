#pragma once
// An external command (pg_ctl, or the configured stop/start command) as an
// async child process on the Asio I/O thread: output captured through a pipe
// read by Asio, exit status collected by waitpid on a helper thread (it
// blocks), a timeout that kills the child's process group. Nothing here
// blocks the I/O thread.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "pg/asio.hpp"
#include "pg/client/result.hpp"

namespace slotd::pg::server {

struct command {
  std::vector<std::string> argv;     // argv[0] looked up in PATH
  std::optional<std::string> run_as; // when root: run through `runuser -u USER --`
  std::chrono::milliseconds timeout{60000};
  std::chrono::milliseconds kill_grace{5000}; // after SIGKILL, wait this long for the exit
};

struct command_result {
  int exit_code = -1;   // -1 when killed by a signal
  int signal = 0;       // the signal that ended it, 0 if none
  bool timed_out = false;
  std::string output;   // stdout and stderr interleaved, at most 64 KiB kept
  bool ok() const { return !timed_out && signal == 0 && exit_code == 0; }
};

// The argv actually executed (runuser prefix applied when root and run_as).
std::vector<std::string> effective_argv(const command& cmd);

// An error value only when the command could not be started (fork/pipe
// failure); a failing or timed-out command is a command_result.
boost::asio::awaitable<result<command_result>> run_command(boost::asio::any_io_executor executor, command cmd);

} // namespace slotd::pg::server
