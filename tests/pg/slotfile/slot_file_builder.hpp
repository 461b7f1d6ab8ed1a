#pragma once
// Builds ReplicationSlotOnDisk bytes per the layout in pg/slotfile/slot_state.hpp
// (PG 14-18 by default), with a correct CRC-32C.
#include <cstdint>
#include <cstring>
#include <string>

#include "pg/slotfile/crc32c.hpp"
#include "pg/slotfile/slot_state.hpp"
#include "pg/slotfile/snapshot_file.hpp"

namespace slotd::pg::slotfile::testing {

struct slot_file_spec {
  std::string name = "cdc";
  std::uint32_t database = 16384;
  std::uint32_t persistency = 0;
  std::uint32_t xmin = 0;
  std::uint32_t catalog_xmin = 745;
  std::uint64_t restart_lsn = 0x3000028;
  std::uint64_t confirmed_flush = 0x3000060;
  std::string plugin = "pgoutput";
  std::uint32_t version = 2;
  std::uint32_t length = 184;
};

inline void put32(std::string& b, std::size_t off, std::uint32_t v) { std::memcpy(b.data() + off, &v, 4); }
inline void put64(std::string& b, std::size_t off, std::uint64_t v) { std::memcpy(b.data() + off, &v, 8); }

inline std::string build_slot_file(const slot_file_spec& s) {
  std::string b(header_size + s.length, '\0');
  put32(b, 0, slot_magic);
  put32(b, 8, s.version);
  put32(b, 12, s.length);
  std::memcpy(b.data() + 16, s.name.data(), std::min<std::size_t>(s.name.size(), 63));
  put32(b, 80, s.database);
  put32(b, 84, s.persistency);
  put32(b, 88, s.xmin);
  put32(b, 92, s.catalog_xmin);
  put64(b, 96, s.restart_lsn);
  std::size_t cfl = 112, plugin = 129; // 184: PG 14-18
  if (s.length == 160) {                 // PG 12
    cfl = 104;
    plugin = 112;
  } else if (s.length == 168) { // PG 13
    plugin = 120;
  }
  put64(b, cfl, s.confirmed_flush);
  std::memcpy(b.data() + plugin, s.plugin.data(), std::min<std::size_t>(s.plugin.size(), 63));
  write_checksum(b);
  return b;
}

// A serialized decoding snapshot (pg/slotfile/snapshot_file.hpp): magic,
// CRC-32C over the rest, and `xids` committed xids after a zeroed builder.
inline std::string build_snapshot_file(std::uint32_t xids) {
  std::string b(16 + 112 + 4 * xids, '\0');
  put32(b, 0, snapshot_magic);
  put32(b, 8, 6); // version
  put32(b, 12, static_cast<std::uint32_t>(b.size()));
  for (std::uint32_t i = 0; i < xids; ++i)
    put32(b, 128 + 4 * i, 1000 + i);
  put32(b, 4, crc32c(std::string_view(b).substr(8)));
  return b;
}

} // namespace slotd::pg::slotfile::testing
