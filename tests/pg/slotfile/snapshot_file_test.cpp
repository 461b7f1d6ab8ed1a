#include "pg/slotfile/snapshot_file.hpp"

#include <cstring>

#include <gtest/gtest.h>

#include "tests/pg/slotfile/slot_file_builder.hpp"

namespace slotd::pg::slotfile {
namespace {

TEST(SnapshotFile, NamedLikePostgreSQLNamesIt) {
  EXPECT_EQ(snapshot_file_name(pg::lsn{0x3000028}), "0-3000028.snap");
  EXPECT_EQ(snapshot_file_name(pg::lsn{(std::uint64_t{0x16} << 32) | 0xB374D848}), "16-B374D848.snap");
  EXPECT_EQ(snapshot_file_path(pg::lsn{0x1A0}), "pg_logical/snapshots/0-1A0.snap");
}

TEST(SnapshotFile, ValidFileAndEachKindOfDamage) {
  auto good = testing::build_snapshot_file(5);
  EXPECT_TRUE(validate_snapshot_file(good));

  auto flipped = good;
  flipped[40] ^= 1;
  auto r = validate_snapshot_file(flipped);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("checksum mismatch"), std::string::npos) << r.error().what();

  auto magic = good;
  magic[0] ^= 1;
  r = validate_snapshot_file(magic);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("wrong magic number"), std::string::npos) << r.error().what();

  r = validate_snapshot_file(good.substr(0, 12));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("shorter than its header"), std::string::npos) << r.error().what();

  // A slot state file is no snapshot.
  EXPECT_FALSE(validate_snapshot_file(testing::build_slot_file({})));
}

} // namespace
} // namespace slotd::pg::slotfile
