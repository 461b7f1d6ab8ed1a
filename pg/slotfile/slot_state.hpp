#pragma once
// A replication slot's on-disk state file (pg_replslot/<name>/state), as
// written by PostgreSQL's slot.c (ReplicationSlotOnDisk):
//
//   0  uint32 magic 0x1051CA1      \ not covered by the checksum
//   4  uint32 CRC-32C              /
//   8  uint32 version              \ covered by the checksum (offset 8 to end)
//  12  uint32 length = size - 16    |
//  16  ReplicationSlotPersistentData: name[64], database oid, persistency,
//      xmin, catalog_xmin, restart_lsn, ... (layout per major, see below)
//
// The server refuses a file whose version is not its own, so a file is only
// valid for a server of the same major as the one that wrote it (copies go
// from leader to replica of one cluster: same major).
//
// Layouts by `length` (offsets from the start of the file), checked against
// real files of every major (tests/pg/slotfile/data/pgNN.slot, captured by
// tests/pg/slotfile/data/capture; slot_state_fixtures_test.cpp):
//   160 (PG 12, version 2):  confirmed_flush 104, plugin 112
//   168 (PG 13, version 2):  invalidated_at 104 (LSN), confirmed_flush 112,
//                            plugin 120
//   184 (PG 14-18):          invalidated 104 (14-15 version 2: invalidated_at
//                            LSN; 16 version 3, 17-18 version 5: cause enum),
//                            confirmed_flush 112, two_phase_at 120,
//                            two_phase 128, plugin 129; version >= 5 (17+):
//                            synced 193, failover 194. 200 bytes.
// (PG 14 already has two_phase_at: there is no 176-byte layout.)
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pg/client/result.hpp"
#include "pg/types/lsn.hpp"
#include "pg/types/xid.hpp"

namespace slotd::pg::slotfile {

constexpr std::uint32_t slot_magic = 0x1051CA1;
constexpr std::size_t header_size = 16;
constexpr std::size_t name_size = 64; // NAMEDATALEN

enum class persistency : std::uint32_t { persistent = 0, ephemeral = 1, temporary = 2 };

struct slot_state {
  std::uint32_t version = 0;
  std::uint32_t length = 0;
  std::string name;
  std::uint32_t database = 0; // oid; 0 for a physical slot
  std::uint32_t persistency = 0;
  xid xmin;
  xid catalog_xmin;
  lsn restart_lsn;
  // Known layouts only (nullopt when the field is not in this major's file).
  std::optional<lsn> confirmed_flush;
  std::optional<std::string> plugin;
  std::optional<bool> invalidated; // 13+
  std::optional<bool> two_phase;   // 14+
  std::optional<bool> synced;      // 17+
  std::optional<bool> failover;    // 17+
  bool is_logical() const { return database != 0; }
};

// Structure only: size, magic, length field, CRC-32C, a NUL-terminated name.
result<slot_state> parse_slot_state(std::string_view bytes);

struct expected_slot {
  std::string name;
  bool logical = true;
  std::optional<std::uint32_t> database_oid; // when known
  std::optional<std::string> plugin;         // when known
};

// parse_slot_state, then: the name inside matches, the slot is persistent,
// logical/physical as expected, and database/plugin match when given.
// Run this BEFORE stopping the server: a refused file leaves it running.
result<slot_state> validate_slot_state(std::string_view bytes, const expected_slot& expected);

// Fix the checksum of a state file in place (tests build files with it).
void write_checksum(std::string& bytes);

} // namespace slotd::pg::slotfile
