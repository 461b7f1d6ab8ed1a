// Running programs from tests: fork/exec, output captured through a pipe.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "tests/support/pg_harness.hpp"

namespace slotd::testing {

int run_program(const std::vector<std::string>& argv_in, bool as_postgres, std::string* output) {
  std::vector<std::string> argv;
  if (as_postgres && ::geteuid() == 0) {
    argv = {"runuser", "-u", "postgres", "--"};
  }
  argv.insert(argv.end(), argv_in.begin(), argv_in.end());
  std::vector<char*> cargv;
  for (auto& a : argv)
    cargv.push_back(a.data());
  cargv.push_back(nullptr);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw harness_error(std::string("pipe: ") + std::strerror(errno));
  pid_t pid = ::fork();
  if (pid < 0)
    throw harness_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0)
      ::dup2(devnull, 0);
    // Servers started by pg_ctl inherit our cwd: use one every user can read.
    if (::chdir("/") != 0)
      _exit(126);
    ::execvp(cargv[0], cargv.data());
    _exit(127);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n > 0)
      out.append(buf, static_cast<std::size_t>(n));
    else if (n == 0 || errno != EINTR)
      break;
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (output)
    *output = std::move(out);
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

} // namespace slotd::testing
