// What a stopped server's data directory says (pg/server/stopped_server):
// pg_controldata's output, and the logical slots' state files.
#include "pg/server/stopped_server.hpp"

#include <cstring>
#include <fstream>

#include <gtest/gtest.h>

#include "pg/slotfile/crc32c.hpp"
#include "tests/pg/slotfile/slot_file_builder.hpp"

namespace slotd::pg::server {
namespace {

namespace fs = std::filesystem;
using slotfile::testing::build_slot_file;
using slotfile::testing::slot_file_spec;

constexpr const char* controldata_15 = R"(pg_control version number:            1300
Catalog version number:               202209061
Database system identifier:           7299405532345235245
Database cluster state:               shut down
pg_control last modified:             Tue 01 Dec 2026 04:30:00 AM UTC
Latest checkpoint location:           0/5000028
Latest checkpoint's REDO location:    0/5000028
)";

TEST(ParseControldata, ReadsTheStateAndTheLatestCheckpoint) {
  auto c = parse_controldata(controldata_15);
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->cluster_state, "shut down");
  EXPECT_TRUE(c->clean_shutdown());
  EXPECT_EQ(c->checkpoint, lsn::parse("0/5000028"));
}

TEST(ParseControldata, ACrashedServerIsNotACleanShutdownAndMissingLinesAreAnError) {
  std::string crashed = controldata_15;
  crashed.replace(crashed.find("shut down"), 9, "in production");
  auto c = parse_controldata(crashed);
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->clean_shutdown());
  EXPECT_FALSE(parse_controldata("pg_control version number: 1300\n"));
  EXPECT_FALSE(parse_controldata(""));
}

TEST(ControldataCommand, RunsInTheCLocale) {
  auto c = controldata_command("/usr/lib/postgresql/15/bin", "/data", std::nullopt);
  EXPECT_EQ(c.argv, (std::vector<std::string>{"env", "LC_ALL=C", "/usr/lib/postgresql/15/bin/pg_controldata", "-D",
                                              "/data"}));
}

// A global/pg_control as PostgreSQL writes it: ControlFileData's first
// fields, its CRC-32C at `crc_at` (the struct's length differs between
// majors), zeros up to 8 KiB.
std::string control_file(std::uint32_t version, std::uint32_t state, std::uint64_t checkpoint,
                         std::size_t crc_at = 296) {
  std::string b(8192, '\0');
  std::uint64_t sysid = 7299405532345235245ULL;
  std::uint32_t catversion = 202209061;
  std::memcpy(b.data(), &sysid, 8);
  std::memcpy(b.data() + 8, &version, 4);
  std::memcpy(b.data() + 12, &catversion, 4);
  std::memcpy(b.data() + 16, &state, 4);
  std::memcpy(b.data() + 32, &checkpoint, 8);
  std::memcpy(b.data() + 40, &checkpoint, 8); // the checkpoint's redo
  auto crc = slotfile::crc32c(std::string_view(b).substr(0, crc_at));
  std::memcpy(b.data() + crc_at, &crc, 4);
  return b;
}

TEST(ParseControlFile, ReadsTheStateAndTheLatestCheckpointWhereverTheCrcIs) {
  for (std::size_t crc_at : {256u, 296u, 304u}) {
    auto c = parse_control_file(control_file(1300, 1, 0x5000028, crc_at));
    ASSERT_TRUE(c) << c.error().what();
    EXPECT_EQ(c->cluster_state, "shut down");
    EXPECT_TRUE(c->clean_shutdown());
    EXPECT_EQ(c->checkpoint, lsn::parse("0/5000028"));
  }
  auto crashed = parse_control_file(control_file(1700, 6, 0x5000028));
  ASSERT_TRUE(crashed);
  EXPECT_EQ(crashed->cluster_state, "in production");
  EXPECT_FALSE(crashed->clean_shutdown());
  EXPECT_EQ(parse_control_file(control_file(1201, 2, 1))->cluster_state, "shut down in recovery");
}

TEST(ParseControlFile, ACorruptTornShortOrForeignFileIsAnError) {
  auto b = control_file(1300, 1, 0x5000028);
  b[33] ^= 1; // the checkpoint, after the CRC was computed
  EXPECT_FALSE(parse_control_file(b));
  EXPECT_FALSE(parse_control_file(control_file(1300, 1, 0x5000028).substr(0, 512)));
  EXPECT_FALSE(parse_control_file(control_file(942, 1, 0x5000028))) << "before 12: not a version slotd reads";
  EXPECT_FALSE(parse_control_file(control_file(1300, 9, 0x5000028))) << "no such state";
  EXPECT_FALSE(parse_control_file(std::string(8192, '\0')));
}

class SlotFiles : public ::testing::Test {
protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("slotd-stopped-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "pg_replslot");
  }
  void TearDown() override { fs::remove_all(dir); }
  void put(const std::string& name, const std::string& bytes) {
    fs::create_directories(dir / "pg_replslot" / name);
    std::ofstream(dir / "pg_replslot" / name / "state", std::ios::binary) << bytes;
  }
  fs::path dir;
};

TEST_F(SlotFiles, ReadsThePersistentLogicalSlots) {
  slot_file_spec cdc;
  put("cdc", build_slot_file(cdc));
  slot_file_spec phys;
  phys.name = "node2";
  phys.database = 0;
  put("node2", build_slot_file(phys));
  slot_file_spec temp;
  temp.name = "tmp";
  temp.persistency = 2;
  put("tmp", build_slot_file(temp));
  fs::create_directories(dir / "pg_replslot" / "cdc.tmp"); // not a slot name: skipped
  auto r = read_logical_slot_files(dir);
  ASSERT_TRUE(r) << r.error().what();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->at("cdc").confirmed_flush, lsn(0x3000060));
  EXPECT_EQ(r->at("cdc").restart_lsn, lsn(0x3000028));
  EXPECT_FALSE(r->at("cdc").from_sample);
}

TEST_F(SlotFiles, AnUnreadableOrBrokenFileIsAnErrorNamingIt) {
  auto bytes = build_slot_file({});
  bytes[40] ^= 1; // checksum no longer matches
  put("cdc", bytes);
  auto r = read_logical_slot_files(dir);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("cdc/state"), std::string::npos) << r.error().what();
  EXPECT_FALSE(read_logical_slot_files(dir / "nowhere"));
}

} // namespace
} // namespace slotd::pg::server
