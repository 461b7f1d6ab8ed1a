#include "pg/slotfile/copy_intent.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace slotd::pg::slotfile {

namespace fs = std::filesystem;

namespace {

pg::error fail(const std::string& what, const fs::path& path, int err = errno) {
  pg::error e;
  e.call = "copy intent";
  e.message = what + " " + path.string() + (err ? std::string(": ") + std::strerror(err) : std::string());
  return e;
}

result<void> fsync_path(const fs::path& p, int flags) {
  int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0)
    return fail("cannot open", p);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0 && err != EINVAL)
    return fail("cannot fsync", p, err);
  return {};
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (auto& s : v)
    out += (out.empty() ? "" : ",") + s;
  return out;
}

} // namespace

fs::path copy_intent_path(const fs::path& state_dir) { return state_dir / "copy-intent"; }

result<void> write_file_durably(const fs::path& path, const std::string& text) {
  auto dir = path.parent_path();
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec)
      return fail("cannot create", dir, ec.value());
    ::chmod(dir.c_str(), 0700);
  }
  auto tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return fail("cannot create", tmp);
  std::size_t done = 0;
  while (done < text.size()) {
    auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      auto e = fail("cannot write", tmp);
      ::close(fd);
      return e;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    auto e = fail("cannot fsync", tmp);
    ::close(fd);
    return e;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return fail("cannot rename to", path);
  return fsync_path(dir, O_RDONLY | O_DIRECTORY);
}

result<void> write_copy_intent(const fs::path& state_dir, const copy_intent& intent) {
  std::ostringstream out;
  out << "phase=" << intent.phase << "\n"
      << "slots=" << join(intent.slots) << "\n"
      << "started=" << intent.started << "\n"
      << "pid=" << intent.pid << "\n";
  return write_file_durably(copy_intent_path(state_dir), out.str());
}

result<std::optional<copy_intent>> read_copy_intent(const fs::path& state_dir) {
  auto path = copy_intent_path(state_dir);
  std::error_code ec;
  if (!fs::exists(path, ec))
    return std::optional<copy_intent>{};
  std::ifstream in(path);
  if (!in)
    return fail("cannot read", path);
  copy_intent out;
  std::string line;
  bool phase = false;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos)
      continue;
    auto key = line.substr(0, eq), value = line.substr(eq + 1);
    try {
      if (key == "phase") {
        out.phase = value;
        phase = true;
      } else if (key == "slots") {
        std::stringstream ss(value);
        std::string s;
        while (std::getline(ss, s, ','))
          if (!s.empty())
            out.slots.push_back(s);
      } else if (key == "started") {
        out.started = std::stoll(value);
      } else if (key == "pid") {
        out.pid = std::stol(value);
      }
    } catch (const std::exception&) {
      return fail("malformed " + key + " in", path, 0);
    }
  }
  if (!phase)
    return fail("no phase in", path, 0);
  return std::optional<copy_intent>{std::move(out)};
}

result<recopy_history> read_recopy_history(const fs::path& state_dir) {
  recopy_history out;
  auto path = state_dir / "recopies";
  std::error_code ec;
  if (!fs::exists(path, ec))
    return out;
  std::ifstream in(path);
  if (!in)
    return fail("cannot read", path);
  std::string slot;
  std::int64_t at = 0;
  while (in >> slot >> at)
    out[slot].push_back(at);
  return out;
}

result<void> record_recopies(const fs::path& state_dir, const std::vector<std::string>& slots, std::int64_t now,
                             std::int64_t window_seconds) {
  auto history = read_recopy_history(state_dir);
  if (!history)
    return history.error();
  for (auto& s : slots)
    (*history)[s].push_back(now);
  std::ostringstream out;
  for (auto& [slot, times] : *history)
    for (auto t : times)
      if (t + window_seconds > now)
        out << slot << " " << t << "\n";
  return write_file_durably(state_dir / "recopies", out.str());
}

result<void> remove_copy_intent(const fs::path& state_dir) {
  auto path = copy_intent_path(state_dir);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return fail("cannot remove", path);
  (void)fsync_path(state_dir, O_RDONLY | O_DIRECTORY); // the file is gone either way
  return {};
}

} // namespace slotd::pg::slotfile
