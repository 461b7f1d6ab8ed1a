#include "pg/server/disk_space.hpp"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

namespace slotd::pg::server {

result<std::uint64_t> free_bytes_at(const std::filesystem::path& path) {
  struct statvfs fs {};
  if (::statvfs(path.c_str(), &fs) != 0) {
    pg::error e;
    e.call = "statvfs";
    e.message = path.string() + ": " + std::strerror(errno);
    return e;
  }
  return static_cast<std::uint64_t>(fs.f_bavail) * static_cast<std::uint64_t>(fs.f_frsize);
}

} // namespace slotd::pg::server
