#include "pg/slotfile/slot_state.hpp"

#include <cstring>

#include "pg/slotfile/crc32c.hpp"

namespace slotd::pg::slotfile {

namespace {

constexpr std::size_t off_checksum = 4;
constexpr std::size_t off_version = 8;
constexpr std::size_t off_length = 12;
constexpr std::size_t off_name = 16;
constexpr std::size_t off_database = 80;
constexpr std::size_t off_persistency = 84;
constexpr std::size_t off_xmin = 88;
constexpr std::size_t off_catalog_xmin = 92;
constexpr std::size_t off_restart_lsn = 96;

constexpr std::size_t off_invalidated = 104;
constexpr std::size_t absent = 0;

// See the table in slot_state.hpp; `absent` marks a field the layout lacks.
struct layout {
  std::uint32_t length;
  std::size_t confirmed_flush;
  std::size_t plugin;
  std::size_t two_phase;
  bool has_invalidated;
};
constexpr layout layouts[] = {
    {160, 104, 112, absent, false}, // PG 12
    {168, 112, 120, absent, true},  // PG 13
    {184, 112, 129, 128, true},     // PG 14-18
};

// PostgreSQL 16 turned invalidated_at (an LSN) into an invalidation cause
// (a 4-byte enum) at the same offset; 17 appended synced and failover.
constexpr std::uint32_t version_invalidation_cause = 3;
constexpr std::uint32_t version_failover = 5;
constexpr std::size_t off_synced = 193;
constexpr std::size_t off_failover = 194;

template <class T>
T read_at(std::string_view b, std::size_t off) {
  T v{};
  std::memcpy(&v, b.data() + off, sizeof v);
  return v;
}

pg::error fail(std::string message) {
  pg::error e;
  e.call = "slotfile";
  e.message = std::move(message);
  return e;
}

std::optional<std::string> c_string(std::string_view b, std::size_t off) {
  auto field = b.substr(off, name_size);
  auto nul = field.find('\0');
  if (nul == std::string_view::npos)
    return std::nullopt;
  return std::string(field.substr(0, nul));
}

} // namespace

void write_checksum(std::string& bytes) {
  if (bytes.size() < header_size)
    return;
  std::uint32_t crc = crc32c(std::string_view(bytes).substr(off_version));
  std::memcpy(bytes.data() + off_checksum, &crc, sizeof crc);
}

result<slot_state> parse_slot_state(std::string_view b) {
  if (b.size() < off_restart_lsn + 8)
    return fail("state file truncated: " + std::to_string(b.size()) + " bytes");
  auto magic = read_at<std::uint32_t>(b, 0);
  if (magic != slot_magic)
    return fail("not a replication slot state file: magic " + std::to_string(magic));
  slot_state s;
  s.version = read_at<std::uint32_t>(b, off_version);
  s.length = read_at<std::uint32_t>(b, off_length);
  if (s.length != b.size() - header_size)
    return fail("state file length field " + std::to_string(s.length) + " does not match its size " +
                std::to_string(b.size()) + " (truncated or foreign)");
  auto stored = read_at<std::uint32_t>(b, off_checksum);
  auto computed = crc32c(b.substr(off_version));
  if (stored != computed)
    return fail("state file checksum mismatch: is " + std::to_string(computed) + ", should be " +
                std::to_string(stored));
  auto name = c_string(b, off_name);
  if (!name)
    return fail("state file slot name is not terminated");
  s.name = std::move(*name);
  s.database = read_at<std::uint32_t>(b, off_database);
  s.persistency = read_at<std::uint32_t>(b, off_persistency);
  s.xmin = xid{read_at<std::uint32_t>(b, off_xmin)};
  s.catalog_xmin = xid{read_at<std::uint32_t>(b, off_catalog_xmin)};
  s.restart_lsn = lsn{read_at<std::uint64_t>(b, off_restart_lsn)};
  for (const auto& l : layouts) {
    if (l.length != s.length)
      continue;
    s.confirmed_flush = lsn{read_at<std::uint64_t>(b, l.confirmed_flush)};
    s.plugin = c_string(b, l.plugin);
    if (l.has_invalidated)
      s.invalidated = s.version >= version_invalidation_cause ? read_at<std::uint32_t>(b, off_invalidated) != 0
                                                              : read_at<std::uint64_t>(b, off_invalidated) != 0;
    if (l.two_phase != absent)
      s.two_phase = b[l.two_phase] != 0;
    if (l.length == 184 && s.version >= version_failover) {
      s.synced = b[off_synced] != 0;
      s.failover = b[off_failover] != 0;
    }
  }
  return s;
}

result<slot_state> validate_slot_state(std::string_view bytes, const expected_slot& expected) {
  auto parsed = parse_slot_state(bytes);
  if (!parsed)
    return parsed;
  const auto& s = *parsed;
  if (s.name != expected.name)
    return fail("state file belongs to slot '" + s.name + "', expected '" + expected.name + "'");
  if (s.persistency != static_cast<std::uint32_t>(persistency::persistent))
    return fail("slot '" + s.name + "' is not persistent (persistency " + std::to_string(s.persistency) + ")");
  if (s.is_logical() != expected.logical)
    return fail("slot '" + s.name + "' is " + (s.is_logical() ? "logical" : "physical") + ", expected " +
                (expected.logical ? "logical" : "physical"));
  if (expected.database_oid && s.database != *expected.database_oid)
    return fail("slot '" + s.name + "' belongs to database oid " + std::to_string(s.database) + ", expected " +
                std::to_string(*expected.database_oid));
  if (expected.plugin) {
    if (!s.plugin)
      return fail("slot '" + s.name + "': unknown state file layout (length " + std::to_string(s.length) +
                  "), cannot check the plugin");
    if (*s.plugin != *expected.plugin)
      return fail("slot '" + s.name + "' uses plugin '" + *s.plugin + "', expected '" + *expected.plugin + "'");
  }
  return parsed;
}

} // namespace slotd::pg::slotfile
