#pragma once
// Whether the local PostgreSQL server runs, from its data directory rather
// than from a command's exit code: a stop command may stop the server and
// exit non-zero, a start command may fail after the server came up. The
// postmaster's pid is the first line of postmaster.pid; the server runs when
// that process exists and is not a zombie (a `kill -9`ed postmaster stays a
// zombie until its parent reaps it, and crash recovery waits for that).
#include <filesystem>
#include <optional>

#include <sys/types.h>

namespace slotd::pg::server {

// The postmaster's pid when it runs; nullopt when there is no postmaster.pid,
// it cannot be read, or its process is gone (a stale file after a crash).
std::optional<pid_t> running_postmaster(const std::filesystem::path& data_dir);

// The postmaster's own word (the status line of postmaster.pid, PostgreSQL
// 10+): a server that is still shutting down is neither up nor down yet.
enum class postmaster_status { down, starting, up, stopping };
postmaster_status server_status(const std::filesystem::path& data_dir);

} // namespace slotd::pg::server
