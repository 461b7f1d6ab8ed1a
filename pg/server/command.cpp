#include "pg/server/command.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <thread>

#include "pg/client/log.hpp"

namespace slotd::pg::server {

namespace asio = boost::asio;

namespace {

constexpr std::size_t output_limit = 64 * 1024;

// Shared between the waiting coroutine, the pipe reader and the waitpid
// thread. The waitpid thread reports by posting to the I/O executor, where
// it cancels `wakeup` (a timer used as an event).
struct child_state {
  explicit child_state(const asio::any_io_executor& ex) : pipe(ex), wakeup(ex) {}
  asio::posix::stream_descriptor pipe;
  asio::steady_timer wakeup;
  std::string output;
  bool exited = false;
  bool status_known = false;
  int status = 0;
  void append(const char* data, std::size_t n) {
    if (output.size() < output_limit)
      output.append(data, std::min(n, output_limit - output.size()));
  }
};

asio::awaitable<void> read_output(std::shared_ptr<child_state> s) {
  char buf[4096];
  for (;;) {
    boost::system::error_code ec;
    auto n = co_await s->pipe.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    if (ec)
      co_return; // EOF, cancelled or closed
    s->append(buf, n);
  }
}

// Read what the pipe holds right now without waiting: output written before
// the exit is there, while a grandchild may keep the pipe open forever.
void drain_now(child_state& s) {
  if (!s.pipe.is_open())
    return;
  boost::system::error_code ec;
  s.pipe.non_blocking(true, ec);
  char buf[4096];
  for (;;) {
    auto n = s.pipe.read_some(asio::buffer(buf), ec);
    if (ec)
      break;
    s.append(buf, n);
  }
  s.pipe.cancel(ec);
  s.pipe.close(ec);
}

pg::error start_error(const std::string& what) {
  pg::error e;
  e.call = "run_command";
  e.message = what + ": " + std::strerror(errno);
  return e;
}

// Wait until the child exited or `until`; true when it exited.
asio::awaitable<bool> wait_exit(child_state& s, std::chrono::steady_clock::time_point until) {
  while (!s.exited && std::chrono::steady_clock::now() < until) {
    s.wakeup.expires_at(until);
    boost::system::error_code ec;
    co_await s.wakeup.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return s.exited;
}

} // namespace

std::vector<std::string> effective_argv(const command& cmd) {
  if (!cmd.run_as || ::geteuid() != 0)
    return cmd.argv;
  std::vector<std::string> out{"runuser", "-u", *cmd.run_as, "--"};
  out.insert(out.end(), cmd.argv.begin(), cmd.argv.end());
  return out;
}

asio::awaitable<result<command_result>> run_command(asio::any_io_executor executor, command cmd) {
  auto argv_strings = effective_argv(cmd);
  if (argv_strings.empty()) {
    pg::error e;
    e.call = "run_command";
    e.message = "empty command";
    co_return e;
  }
  // Everything the child needs is built before fork (no allocation after it).
  std::vector<char*> argv;
  for (auto& a : argv_strings)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  // Computed before fork: only async-signal-safe calls in the child.
  const long max_fd = ::sysconf(_SC_OPEN_MAX) > 0 ? ::sysconf(_SC_OPEN_MAX) : 1024;

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    co_return start_error("pipe2");
  pid_t pid = ::fork();
  if (pid < 0) {
    auto e = start_error("fork");
    ::close(fds[0]);
    ::close(fds[1]);
    co_return e;
  }
  if (pid == 0) {
    ::setpgid(0, 0); // own process group: a timeout kills the whole tree
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0)
      ::dup2(devnull, 0);
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    // Nothing else of ours may reach the child: a postmaster started here
    // would otherwise hold the agent's API socket (and its libpq sockets)
    // for its whole life, and a restarted agent could not listen again.
    if (::close_range(3, ~0U, 0) != 0)
      for (long fd = 3; fd < max_fd; ++fd)
        ::close(static_cast<int>(fd));
    ::execvp(argv[0], argv.data());
    const char msg[] = "exec failed\n";
    [[maybe_unused]] auto ignored = ::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::setpgid(pid, pid); // also from the parent: no race with kill() below
  ::close(fds[1]);

  auto state = std::make_shared<child_state>(executor);
  state->pipe.assign(fds[0]);
  asio::co_spawn(executor, read_output(state), asio::detached);

  std::thread([pid, state, executor]() {
    int status = 0;
    pid_t r;
    while ((r = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
    }
    // ECHILD (SIGCHLD ignored by the application): the exit status is lost.
    bool known = r == pid;
    asio::post(executor, [state, status, known]() {
      state->exited = true;
      state->status = status;
      state->status_known = known;
      state->wakeup.cancel();
    });
  }).detach();

  command_result out;
  const auto start = std::chrono::steady_clock::now();
  if (!co_await wait_exit(*state, start + cmd.timeout)) {
    out.timed_out = true;
    logger().warn("command timed out after {} ms, killing it: {}", cmd.timeout.count(), argv_strings.front());
    ::kill(-pid, SIGKILL);
    co_await wait_exit(*state, std::chrono::steady_clock::now() + cmd.kill_grace);
  }
  drain_now(*state);
  out.output = state->output;
  if (state->exited && state->status_known) {
    if (WIFEXITED(state->status))
      out.exit_code = WEXITSTATUS(state->status);
    else if (WIFSIGNALED(state->status))
      out.signal = WTERMSIG(state->status);
  }
  co_return out;
}

} // namespace slotd::pg::server
