#pragma once
// A logical decoding snapshot that PostgreSQL serialized at a WAL position
// (pg_logical/snapshots/<X>-<Y>.snap, written by snapbuild.c):
//
//   0  uint32 magic 0x51A1E001     \ not covered by the checksum
//   4  uint32 CRC-32C              /
//   8  uint32 version, uint32 length, the snapshot builder's state, then the
//      committed xids: all covered by the checksum (offset 8 to the end)
//
// Decoding restarts at a slot's restart_lsn and, when a consistent snapshot
// was serialized there, begins with it. Without it, decoding starts from
// scratch there and skips every commit until the transactions that were
// running at that point have ended, including commits past the slot's
// confirmed_flush_lsn. A copy of a slot therefore goes with the leader's
// snapshot at its restart_lsn (docs/implementation-notes.md, "Serialized
// snapshots"). Like the slot state file, it is valid for a server of the
// same major (its version is checked by the server).
#include <cstdint>
#include <string>
#include <string_view>

#include "pg/client/result.hpp"
#include "pg/types/lsn.hpp"

namespace slotd::pg::slotfile {

constexpr std::uint32_t snapshot_magic = 0x51A1E001;

// "<X>-<Y>.snap": the name PostgreSQL gives the snapshot at `at`.
std::string snapshot_file_name(pg::lsn at);

// Its path relative to the data directory.
std::string snapshot_file_path(pg::lsn at);

// Magic and CRC-32C: a file PostgreSQL would not refuse as corrupt.
result<void> validate_snapshot_file(std::string_view bytes);

} // namespace slotd::pg::slotfile
