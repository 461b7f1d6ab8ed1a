#pragma once
// The durable record of a slot copy under way, in slotd's state directory.
// It is written (fsynced, renamed into place) before the server is stopped
// and removed once the server runs again, so that an agent killed between
// the stop and the start finds it at its next start and starts the server
// (the install itself is crash-safe: each slot directory is replaced
// atomically, see install.hpp).
//
// Format: one `key=value` per line (phase, slots as a comma list, started
// as seconds since the epoch, pid of the agent that wrote it).
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pg/client/result.hpp"

namespace slotd::pg::slotfile {

struct copy_intent {
  std::string phase; // "stopping", "installing", "starting"
  std::vector<std::string> slots;
  std::int64_t started = 0; // seconds since the epoch
  long pid = 0;
  friend bool operator==(const copy_intent&, const copy_intent&) = default;
};

std::filesystem::path copy_intent_path(const std::filesystem::path& state_dir);

// Creates state_dir (0700) when missing; atomic and fsynced.
result<void> write_copy_intent(const std::filesystem::path& state_dir, const copy_intent& intent);
// nullopt when there is none; an unreadable or malformed file is an error.
result<std::optional<copy_intent>> read_copy_intent(const std::filesystem::path& state_dir);
result<void> remove_copy_intent(const std::filesystem::path& state_dir);

// When each slot was last re-copied (seconds since the epoch), kept in
// state_dir so that the re-copy limit (3 per slot per hour) survives a
// restart of slotd: the file `recopies`, one "slot seconds" per line.
using recopy_history = std::map<std::string, std::vector<std::int64_t>>;
result<recopy_history> read_recopy_history(const std::filesystem::path& state_dir);
// Adds `slots` at `now` and keeps only the last `window_seconds`.
result<void> record_recopies(const std::filesystem::path& state_dir, const std::vector<std::string>& slots,
                             std::int64_t now, std::int64_t window_seconds);

// Blocking (fsyncs): off the I/O thread.
result<void> write_file_durably(const std::filesystem::path& path, const std::string& text);

} // namespace slotd::pg::slotfile
