#pragma once
// What slotd checks on the file system before it runs: the paths named in
// slotd.yaml must be what they claim to be now, not at the first slot copy
// or the first authenticated request. load.hpp reports these problems at the
// value's position (check_scope::files).
#include <filesystem>
#include <optional>
#include <string>

namespace slotd::config {

// Why `dir` is not a PostgreSQL data directory (missing, not a directory,
// unreadable, no PG_VERSION), as "postgresql.data_dir DIR: why"; nullopt
// when it is one.
std::optional<std::string> data_dir_problem(const std::filesystem::path& dir);

// The bearer token in api.token_file: the file's content without
// surrounding whitespace. nullopt with `error` ("api.token_file PATH: why")
// when the file cannot be read or holds no token.
std::optional<std::string> read_token_file(const std::string& path, std::string& error);

} // namespace slotd::config
