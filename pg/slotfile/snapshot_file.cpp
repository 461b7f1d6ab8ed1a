#include "pg/slotfile/snapshot_file.hpp"

#include <cstdio>
#include <cstring>

#include "pg/slotfile/crc32c.hpp"

namespace slotd::pg::slotfile {

namespace {

pg::error fail(std::string message) {
  pg::error e;
  e.call = "snapshot file";
  e.message = std::move(message);
  return e;
}

std::string hex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%#x", v);
  return buf;
}

std::uint32_t u32_at(std::string_view b, std::size_t off) {
  std::uint32_t v = 0;
  std::memcpy(&v, b.data() + off, sizeof v);
  return v;
}

} // namespace

std::string snapshot_file_name(pg::lsn at) {
  auto name = at.str(); // "X/Y", the same hex digits
  name[name.find('/')] = '-';
  return name + ".snap";
}

std::string snapshot_file_path(pg::lsn at) { return "pg_logical/snapshots/" + snapshot_file_name(at); }

result<void> validate_snapshot_file(std::string_view bytes) {
  constexpr std::size_t header = 16;
  if (bytes.size() < header)
    return fail(std::to_string(bytes.size()) + " bytes, shorter than its header");
  if (auto magic = u32_at(bytes, 0); magic != snapshot_magic)
    return fail("wrong magic number " + hex(magic));
  auto stored = u32_at(bytes, 4);
  auto computed = crc32c(bytes.substr(8));
  if (stored != computed)
    return fail("checksum mismatch (" + hex(stored) + ", computed " + hex(computed) + ")");
  return {};
}

} // namespace slotd::pg::slotfile
