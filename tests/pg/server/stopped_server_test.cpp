// What a stopped server's data directory says (pg/server/stopped_server):
// pg_controldata's output, and the logical slots' state files.
#include "pg/server/stopped_server.hpp"

#include <fstream>

#include <gtest/gtest.h>

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
