#pragma once
// Installing slot state files into a server's data directory, in two steps
// so that nothing can fail for want of disk space once the server is
// stopped:
//   stage (server running): pg_replslot/<name>.slotd.tmp/ with its state
//     file, written and fsynced; a full disk or any other error is found
//     here, before the stop, and what was staged is removed;
//   install (server stopped): each staged directory replaces
//     pg_replslot/<name> in one rename (RENAME_EXCHANGE), then fsync.
// A slot's serialized decoding snapshot (snapshot_file.hpp), when given, is
// staged in the same directory and moved to pg_logical/snapshots/ right
// before the slot itself (replacing a file of that name). Staging checks that
// the move will work (a hard link into pg_logical/snapshots, removed again).
// PostgreSQL deletes "*.tmp" entries of pg_replslot at startup, and names
// its own staging directories "<name>.tmp", so a staged directory is never
// seen by a running server and a crash half-way is self-cleaning. Modes
// follow the data dir (0700/0600, or 0750/0640 with group access); the
// owner is the data dir's owner (chown when running as root).
//
// Blocking file I/O with fsyncs: call it off the Asio I/O thread.
#include <filesystem>
#include <string>
#include <vector>

#include "pg/client/result.hpp"

namespace slotd::pg::slotfile {

struct state_file {
  std::string name;  // slot name
  std::string bytes; // validated with validate_slot_state() before the stop
  // The leader's snapshot at the slot's restart_lsn (validated with
  // validate_snapshot_file()); empty when it has none.
  std::string snapshot = {};
};

// Server running or not: writes the staging directories. On error,
// nothing staged is left.
result<void> stage_slot_files(const std::filesystem::path& data_dir, const std::vector<state_file>& files);

// Server stopped: the staged slots replace the installed ones, in order;
// `committed` (if given) receives each one that is in place, also when a
// later one fails.
result<void> install_staged_slot_files(const std::filesystem::path& data_dir, const std::vector<std::string>& names,
                                       std::vector<std::string>* committed = nullptr);

// Where a slot is staged: pg_replslot/<name>.slotd.tmp.
std::filesystem::path staged_slot_dir(const std::filesystem::path& data_dir, const std::string& name);

// A copy given up between the two steps.
void remove_staged_slot_files(const std::filesystem::path& data_dir, const std::vector<std::string>& names);

// Both steps at once (the server stopped).
result<void> install_slot_files(const std::filesystem::path& data_dir, const std::vector<state_file>& files);

} // namespace slotd::pg::slotfile
