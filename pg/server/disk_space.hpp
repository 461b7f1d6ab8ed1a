#pragma once
// Free space on the file system that holds a path (statvfs: the blocks
// available to a non-root user such as postgres), for the WAL-retention
// guard's forecast. It can wait without end on a hung file system (NFS, a
// dead device): the caller runs it on a thread of its own.
#include <cstdint>
#include <filesystem>
#include <string>

#include "pg/client/result.hpp"

namespace slotd::pg::server {

result<std::uint64_t> free_bytes_at(const std::filesystem::path& path);

} // namespace slotd::pg::server
