#pragma once
// Loading and validating slotd.yaml (docs/configuration.md). Bad
// configuration never starts the agent: every problem is reported, each as
// FILE:LINE:COL.
//
// Rules beyond the shapes in config.hpp:
// - `name` is required; when `members` is non-empty it must be one of them.
// - unknown keys are errors at every level, with where a misplaced key
//   belongs; duplicate keys are errors.
// - loop_wait > 0; member_slots_ttl may be 0 ("0s", "0min": a unit is still
//   required), which turns retention of absent members' slots off.
// - slots follow docs/slot-rules.md §3.2 (see cluster_view_reader.cpp for
//   the one stricter case); names ^[a-z0-9_]{1,63}$; failover only for
//   logical slots.
// - `replicatefrom` naming no member is a warning, not an error (Patroni
//   treats such a member as streaming from the primary).
// - with check_scope::files, also the paths as they are on this machine
//   now (file_checks.hpp): postgresql.data_dir must be a data directory
//   (with PG_VERSION) and api.token_file must hold a token, when set.
#include <filesystem>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "config/diagnostic.hpp"

namespace slotd::config {

// What is checked besides the text.
enum class check_scope {
  text,  // the text alone (SIGHUP, tests with made-up paths)
  files, // and the paths it names, on this machine (--check-config, start)
};

// `filename` only names the text in diagnostics.
parse_result<config> parse(std::string_view text, std::string filename, check_scope scope = check_scope::text);

// Reads the file; diagnostics name it as given. A missing or unreadable file
// is one diagnostic without position.
parse_result<config> load(const std::filesystem::path& path, check_scope scope = check_scope::text);

} // namespace slotd::config
