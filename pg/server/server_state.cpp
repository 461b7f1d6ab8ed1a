#include "pg/server/server_state.hpp"

#include <signal.h>

#include <cerrno>
#include <fstream>
#include <string>

namespace slotd::pg::server {

namespace {

// The state letter of /proc/<pid>/stat ("pid (comm) S ..."), '?' when gone.
char process_state(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!f || !std::getline(f, line))
    return '?';
  auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size())
    return '?';
  return line[close + 2];
}

} // namespace

std::optional<pid_t> running_postmaster(const std::filesystem::path& data_dir) {
  std::ifstream f(data_dir / "postmaster.pid");
  long pid = 0;
  if (!f || !(f >> pid) || pid <= 0)
    return std::nullopt;
  auto p = static_cast<pid_t>(pid);
  if (::kill(p, 0) != 0 && errno != EPERM)
    return std::nullopt;
  auto state = process_state(p);
  if (state == '?' || state == 'Z' || state == 'X')
    return std::nullopt;
  return p;
}

postmaster_status server_status(const std::filesystem::path& data_dir) {
  if (!running_postmaster(data_dir))
    return postmaster_status::down;
  std::ifstream f(data_dir / "postmaster.pid");
  std::string line;
  for (int i = 1; i <= 8 && std::getline(f, line); ++i) {
    if (i < 8)
      continue;
    if (line.rfind("stopping", 0) == 0)
      return postmaster_status::stopping;
    if (line.rfind("starting", 0) == 0)
      return postmaster_status::starting;
    return postmaster_status::up; // "ready", "standby"
  }
  return postmaster_status::starting; // the line is written once the postmaster is set up
}

} // namespace slotd::pg::server
