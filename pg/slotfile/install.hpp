#pragma once
// Installing slot state files into a STOPPED server's data directory,
// crash-safely (SLOTS.md §2.3.21 step 4): for each slot
//   pg_replslot/<name>.tmp/ (mode from the data dir) + state (written, fsynced)
//   fsync(tmp dir) -> replace pg_replslot/<name> by rename -> fsync(it)
// then fsync(pg_replslot). PostgreSQL deletes stale "*.tmp" slot directories
// at startup, so a crash half-way is self-cleaning. Modes follow the data
// dir (0700/0600, or 0750/0640 with group access); the owner is the data
// dir's owner (chown when running as root).
//
// Blocking file I/O with fsyncs: call it off the Asio I/O thread (the copy
// task's helper thread), with the server stopped.
#include <filesystem>
#include <string>
#include <vector>

#include "pg/client/result.hpp"

namespace slotd::pg::slotfile {

struct state_file {
  std::string name;  // slot name
  std::string bytes; // validated with validate_slot_state() before the stop
};

result<void> install_slot_files(const std::filesystem::path& data_dir, const std::vector<state_file>& files);

} // namespace slotd::pg::slotfile
