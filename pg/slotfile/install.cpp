#include "pg/slotfile/install.hpp"

#include <fcntl.h>
#include <stdio.h> // renameat2, RENAME_EXCHANGE
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>

#include "pg/model/cluster_view.hpp"
#include "pg/server/fault_point.hpp"
#include "pg/slotfile/slot_state.hpp"
#include "pg/slotfile/snapshot_file.hpp"

namespace slotd::pg::slotfile {

namespace fs = std::filesystem;

namespace {

pg::error fail(const std::string& what, const fs::path& path, int err = errno) {
  pg::error e;
  e.call = "slotfile install";
  e.message = what + " " + path.string() + (err ? std::string(": ") + std::strerror(err) : std::string());
  return e;
}

struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0)
      ::close(fd);
  }
};

// fsync a directory; filesystems that cannot (EINVAL) are fine.
result<void> fsync_dir(const fs::path& dir) {
  fd_guard g{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (g.fd < 0)
    return fail("cannot open directory", dir);
  if (::fsync(g.fd) != 0 && errno != EINVAL)
    return fail("cannot fsync directory", dir);
  return {};
}

struct ownership {
  mode_t dir_mode;
  mode_t file_mode;
  uid_t uid;
  gid_t gid;
  bool chown;
};

result<void> set_owner_mode(int fd, const fs::path& path, const ownership& o, mode_t mode) {
  if (::fchmod(fd, mode) != 0)
    return fail("cannot chmod", path);
  if (o.chown && ::fchown(fd, o.uid, o.gid) != 0)
    return fail("cannot chown", path);
  return {};
}

// The staging directory of a slot: PostgreSQL removes "*.tmp" entries of
// pg_replslot at startup, and its own staging name is "<name>.tmp", so a
// running server never touches this one.
fs::path staged_dir(const fs::path& replslot, const std::string& name) { return replslot / (name + ".slotd.tmp"); }

constexpr const char* staged_snapshot = "snapshot.slotd";

result<void> write_durably(const fs::path& path, const std::string& bytes, const ownership& o) {
  fd_guard w{::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, o.file_mode)};
  if (w.fd < 0)
    return fail("cannot create", path);
  if (auto r = set_owner_mode(w.fd, path, o, o.file_mode); !r)
    return r;
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::write(w.fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return fail("cannot write", path);
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(w.fd) != 0)
    return fail("cannot fsync", path);
  int fd = w.fd;
  w.fd = -1;
  if (::close(fd) != 0)
    return fail("cannot close", path);
  return {};
}

result<void> stage_one(const fs::path& replslot, const state_file& f, const ownership& o) {
  const fs::path tmp = staged_dir(replslot, f.name);
  std::error_code ec;
  fs::remove_all(tmp, ec);
  if (ec)
    return fail("cannot remove stale", tmp, ec.value());
  if (::mkdir(tmp.c_str(), o.dir_mode) != 0)
    return fail("cannot create", tmp);
  {
    fd_guard d{::open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (d.fd < 0)
      return fail("cannot open", tmp);
    if (auto r = set_owner_mode(d.fd, tmp, o, o.dir_mode); !r)
      return r;
  }
  if (auto r = write_durably(tmp / "state", f.bytes, o); !r)
    return r;
  if (!f.snapshot.empty())
    if (auto r = write_durably(tmp / staged_snapshot, f.snapshot, o); !r)
      return r;
  return fsync_dir(tmp);
}

// The staged snapshot goes to pg_logical/snapshots/<restart_lsn>.snap, the
// position read from the staged state file. It replaces a file of that name:
// the leader's is the one of the WAL this replica follows (a file left here
// from a timeline this server has left would not be).
result<void> place_snapshot(const fs::path& data_dir, const fs::path& tmp) {
  const fs::path staged = tmp / staged_snapshot;
  struct stat st{};
  if (::stat(staged.c_str(), &st) != 0) {
    if (errno == ENOENT)
      return {}; // none for this slot
    return fail("cannot stat", staged);
  }
  std::string bytes;
  {
    std::ifstream in(tmp / "state", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto state = parse_slot_state(bytes);
  if (!state)
    return state.error();
  const fs::path dir = data_dir / "pg_logical" / "snapshots";
  const fs::path target = data_dir / snapshot_file_path(state->restart_lsn);
  if (::rename(staged.c_str(), target.c_str()) != 0)
    return fail("cannot rename the snapshot to", target);
  return fsync_dir(dir);
}

// The probe's name parses as the snapshot at LSN 0/0: a server that finds
// it left over (a crash right here) removes it at its next checkpoint.
result<void> probe_snapshot_move(const fs::path& data_dir, const fs::path& staged) {
  const fs::path probe = data_dir / "pg_logical" / "snapshots" / "0-0.snap.slotd.tmp";
  ::unlink(probe.c_str());
  if (::link(staged.c_str(), probe.c_str()) != 0)
    return fail("cannot move a decoding snapshot into", probe.parent_path());
  ::unlink(probe.c_str());
  return {};
}

result<void> commit_one(const fs::path& data_dir, const std::string& name) {
  const fs::path replslot = data_dir / "pg_replslot";
  const fs::path tmp = staged_dir(replslot, name);
  const fs::path final_dir = replslot / name;
  struct stat st{};
  if (::stat((tmp / "state").c_str(), &st) != 0)
    return fail("no staged slot file", tmp / "state");
  // The snapshot first: a crash right after leaves an unused snapshot file
  // (removed by a later checkpoint), never a slot without it.
  if (auto r = place_snapshot(data_dir, tmp); !r)
    return r;
  // Replace the slot directory in one step: the new one is exchanged with
  // the old one (which lands at the staging name, removed below, or by
  // PostgreSQL at its next start). Removing the old one first would leave,
  // after a crash in between, no slot at all.
  std::error_code ec;
  slotd::pg::server::fault_point("install:before_rename"); // the snapshot placed, the slot not yet
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, final_dir.c_str(), RENAME_EXCHANGE) == 0) {
    if (auto r = fsync_dir(replslot); !r)
      return r;
    slotd::pg::server::fault_point("install:after_exchange");
    fs::remove_all(tmp, ec); // the old copy; PostgreSQL removes a leftover *.tmp at startup
  } else if (errno == ENOENT) {
    if (::rename(tmp.c_str(), final_dir.c_str()) != 0) // no old copy
      return fail("cannot rename to", final_dir);
  } else {
    return fail("cannot exchange with", final_dir);
  }
  return fsync_dir(final_dir);
}

ownership ownership_of(const struct stat& st) {
  ownership o{};
  const bool group = (st.st_mode & S_IRWXG) != 0; // initdb --allow-group-access
  o.dir_mode = group ? 0750 : 0700;
  o.file_mode = group ? 0640 : 0600;
  o.uid = st.st_uid;
  o.gid = st.st_gid;
  o.chown = ::geteuid() == 0;
  return o;
}

} // namespace

result<void> stage_slot_files(const fs::path& data_dir, const std::vector<state_file>& files) {
  struct stat st{};
  if (::stat(data_dir.c_str(), &st) != 0)
    return fail("cannot stat data directory", data_dir);
  auto o = ownership_of(st);
  for (const auto& f : files) {
    // Re-check here too: a name is a path component.
    if (!model::is_valid_slot_name(f.name))
      return fail("invalid slot name '" + f.name + "' for", data_dir, 0);
    auto parsed = parse_slot_state(f.bytes);
    if (!parsed)
      return parsed.error();
    if (!f.snapshot.empty())
      if (auto valid = validate_snapshot_file(f.snapshot); !valid)
        return valid.error();
  }
  const fs::path replslot = data_dir / "pg_replslot";

  for (const auto& f : files) {
    auto r = stage_one(replslot, f, o);
    // A snapshot is moved, not copied, into pg_logical/snapshots once the
    // server is down: try it now with a hard link (another file system, a
    // read-only mount, no permission), so that it costs no restart.
    if (r && !f.snapshot.empty())
      r = probe_snapshot_move(data_dir, staged_dir(replslot, f.name) / staged_snapshot);
    if (!r) {
      std::vector<std::string> names;
      for (const auto& g : files)
        names.push_back(g.name);
      remove_staged_slot_files(data_dir, names);
      return r;
    }
  }
  return fsync_dir(replslot);
}

result<void> install_staged_slot_files(const fs::path& data_dir, const std::vector<std::string>& names,
                                       std::vector<std::string>* committed) {
  const fs::path replslot = data_dir / "pg_replslot";
  for (const auto& n : names) {
    if (!model::is_valid_slot_name(n))
      return fail("invalid slot name '" + n + "' for", data_dir, 0);
    if (auto r = commit_one(data_dir, n); !r)
      return r;
    if (committed)
      committed->push_back(n);
  }
  return fsync_dir(replslot);
}

fs::path staged_slot_dir(const fs::path& data_dir, const std::string& name) {
  return staged_dir(data_dir / "pg_replslot", name);
}

void remove_staged_slot_files(const fs::path& data_dir, const std::vector<std::string>& names) {
  std::error_code ec;
  for (const auto& n : names)
    if (model::is_valid_slot_name(n))
      fs::remove_all(staged_dir(data_dir / "pg_replslot", n), ec);
}

result<void> install_slot_files(const fs::path& data_dir, const std::vector<state_file>& files) {
  if (auto r = stage_slot_files(data_dir, files); !r)
    return r;
  std::vector<std::string> names;
  for (const auto& f : files)
    names.push_back(f.name);
  return install_staged_slot_files(data_dir, names);
}

} // namespace slotd::pg::slotfile
