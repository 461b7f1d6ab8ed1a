#include "pg/slotfile/install.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "pg/slotfile/snapshot_file.hpp"
#include "tests/pg/slotfile/slot_file_builder.hpp"

namespace slotd::pg::slotfile {
namespace {

namespace fs = std::filesystem;

class install_test : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/slotd-install-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    data_ = tmpl;
    fs::create_directory(data_ / "pg_replslot");
  }
  void TearDown() override { fs::remove_all(data_); }

  static mode_t mode_of(const fs::path& p) {
    struct stat st{};
    ::stat(p.c_str(), &st);
    return st.st_mode & 07777;
  }
  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  fs::path data_;
};

TEST_F(install_test, installs_with_owner_only_modes) {
  ::chmod(data_.c_str(), 0700);
  auto bytes = testing::build_slot_file({});
  fs::create_directories(data_ / "pg_replslot" / "cdc.slotd.tmp" / "junk"); // a stale staging dir
  auto r = install_slot_files(data_, {{"cdc", bytes}});
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(read(data_ / "pg_replslot" / "cdc" / "state"), bytes);
  EXPECT_EQ(mode_of(data_ / "pg_replslot" / "cdc"), 0700u);
  EXPECT_EQ(mode_of(data_ / "pg_replslot" / "cdc" / "state"), 0600u);
  EXPECT_FALSE(fs::exists(data_ / "pg_replslot" / "cdc.slotd.tmp"));
}

TEST_F(install_test, group_access_data_dir_gives_group_modes_and_replaces_old_slot) {
  ::chmod(data_.c_str(), 0750);
  fs::create_directories(data_ / "pg_replslot" / "cdc");
  std::ofstream(data_ / "pg_replslot" / "cdc" / "state") << "old";
  std::ofstream(data_ / "pg_replslot" / "cdc" / "xid-1-lsn-0-0.snap") << "old";
  testing::slot_file_spec spec;
  spec.catalog_xmin = 999;
  auto bytes = testing::build_slot_file(spec);
  ASSERT_TRUE(install_slot_files(data_, {{"cdc", bytes}}));
  EXPECT_EQ(read(data_ / "pg_replslot" / "cdc" / "state"), bytes);
  EXPECT_FALSE(fs::exists(data_ / "pg_replslot" / "cdc" / "xid-1-lsn-0-0.snap"));
  EXPECT_EQ(mode_of(data_ / "pg_replslot" / "cdc"), 0750u);
  EXPECT_EQ(mode_of(data_ / "pg_replslot" / "cdc" / "state"), 0640u);
}

TEST_F(install_test, refuses_bad_names_and_bad_files_before_writing_anything) {
  auto good = testing::build_slot_file({});
  EXPECT_FALSE(install_slot_files(data_, {{"cdc", good}, {"../evil", good}}));
  EXPECT_FALSE(install_slot_files(data_, {{"cdc", good}, {"other", good.substr(0, 100)}}));
  EXPECT_TRUE(fs::is_empty(data_ / "pg_replslot"));
}

TEST_F(install_test, owner_follows_the_data_dir_when_root) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "needs root";
  ASSERT_EQ(::chown(data_.c_str(), 101, 104), 0);
  ASSERT_TRUE(install_slot_files(data_, {{"cdc", testing::build_slot_file({})}}));
  struct stat st{};
  ::stat((data_ / "pg_replslot" / "cdc" / "state").c_str(), &st);
  EXPECT_EQ(st.st_uid, 101u);
  EXPECT_EQ(st.st_gid, 104u);
  ::stat((data_ / "pg_replslot" / "cdc").c_str(), &st);
  EXPECT_EQ(st.st_uid, 101u);
}
} // namespace
} // namespace slotd::pg::slotfile

namespace slotd::pg::slotfile {
namespace {

// A crash between replacing the slot directory and removing the old copy
// (the process killed at the fault point, as a `kill -9` would): the new
// copy is in place, the old one waits at the staging (*.tmp) name that PostgreSQL
// removes at its next start. There is no moment without a slot directory.
TEST_F(install_test, crash_after_the_exchange_leaves_the_new_copy_in_place) {
  fs::create_directories(data_ / "pg_replslot" / "cdc");
  std::ofstream(data_ / "pg_replslot" / "cdc" / "state") << "old";
  testing::slot_file_spec spec;
  spec.catalog_xmin = 1234;
  auto bytes = testing::build_slot_file(spec);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::setenv("SLOTD_FAULT_KILL_AT", "install:after_exchange", 1);
    (void)install_slot_files(data_, {{"cdc", bytes}});
    ::_exit(0); // not reached when the fault point works
  }
  int st = 0;
  ASSERT_EQ(::waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(st)) << "the fault point did not fire";
  EXPECT_EQ(read(data_ / "pg_replslot" / "cdc" / "state"), bytes);
  EXPECT_EQ(read(data_ / "pg_replslot" / "cdc.slotd.tmp" / "state"), "old");
}

// Staging writes everything while the installed slot stays as it is (the
// server may run); only the install replaces it.
TEST_F(install_test, staging_leaves_the_installed_slot_alone_until_the_install) {
  fs::create_directories(data_ / "pg_replslot" / "cdc");
  std::ofstream(data_ / "pg_replslot" / "cdc" / "state") << "old";
  auto bytes = testing::build_slot_file({});
  auto staged = stage_slot_files(data_, {{"cdc", bytes}});
  ASSERT_TRUE(staged) << staged.error().what();
  EXPECT_EQ(read(data_ / "pg_replslot" / "cdc" / "state"), "old");
  EXPECT_EQ(read(data_ / "pg_replslot" / "cdc.slotd.tmp" / "state"), bytes);
  EXPECT_FALSE(fs::exists(data_ / "pg_replslot" / "cdc.tmp")) << "PostgreSQL's own staging name is not used";
  auto r = install_staged_slot_files(data_, {"cdc"});
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(read(data_ / "pg_replslot" / "cdc" / "state"), bytes);
  EXPECT_FALSE(fs::exists(data_ / "pg_replslot" / "cdc.slotd.tmp"));
}

// An install with nothing staged (or a staged copy given up) changes
// nothing; removing staged copies leaves the installed slots.
TEST_F(install_test, install_without_a_staged_copy_keeps_the_slot) {
  fs::create_directories(data_ / "pg_replslot" / "cdc");
  std::ofstream(data_ / "pg_replslot" / "cdc" / "state") << "old";
  auto r = install_staged_slot_files(data_, {"cdc"});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("no staged slot file"), std::string::npos) << r.error().what();
  EXPECT_EQ(read(data_ / "pg_replslot" / "cdc" / "state"), "old");
  ASSERT_TRUE(stage_slot_files(data_, {{"cdc", testing::build_slot_file({})}}));
  remove_staged_slot_files(data_, {"cdc"});
  EXPECT_FALSE(fs::exists(data_ / "pg_replslot" / "cdc.slotd.tmp"));
  EXPECT_EQ(read(data_ / "pg_replslot" / "cdc" / "state"), "old");
}

// A copy's snapshot is staged with its slot and lands in
// pg_logical/snapshots under the name of the state file's restart_lsn,
// replacing a file of that name (the leader's is the one of the WAL the
// replica follows).
TEST_F(install_test, snapshot_is_placed_at_the_restart_lsn_of_the_slot) {
  fs::create_directories(data_ / "pg_logical" / "snapshots");
  testing::slot_file_spec a, b;
  a.name = "a";
  a.restart_lsn = 0x3000028;
  b.name = "b";
  b.restart_lsn = 0x4000100;
  auto snap_a = testing::build_snapshot_file(3);
  auto snap_b = testing::build_snapshot_file(4);
  const auto dir = data_ / "pg_logical" / "snapshots";
  std::ofstream(dir / "0-4000100.snap") << "left from another timeline";
  auto staged = stage_slot_files(data_, {{"a", testing::build_slot_file(a), snap_a},
                                         {"b", testing::build_slot_file(b), snap_b}});
  ASSERT_TRUE(staged) << staged.error().what();
  EXPECT_FALSE(fs::exists(dir / "0-3000028.snap")) << "nothing in place before the install";
  auto r = install_staged_slot_files(data_, {"a", "b"});
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(read(dir / "0-3000028.snap"), snap_a);
  EXPECT_EQ(mode_of(dir / "0-3000028.snap"), 0600u);
  EXPECT_EQ(read(dir / "0-4000100.snap"), snap_b);
  EXPECT_FALSE(fs::exists(dir / "0-0.snap.slotd.tmp")) << "the staging probe is gone";
  EXPECT_EQ(std::distance(fs::directory_iterator(data_ / "pg_replslot" / "a"), fs::directory_iterator{}), 1)
      << "only the state file in the slot directory";
  EXPECT_FALSE(fs::exists(data_ / "pg_replslot" / "b.slotd.tmp"));
}

// An invalid snapshot, or no pg_logical/snapshots, is found while staging.
TEST_F(install_test, bad_snapshot_is_refused_while_staging) {
  auto bytes = testing::build_slot_file({});
  auto snap = testing::build_snapshot_file(2);
  auto r = stage_slot_files(data_, {{"cdc", bytes, snap}});
  ASSERT_FALSE(r) << "no pg_logical/snapshots here";
  EXPECT_NE(r.error().what().find("pg_logical/snapshots"), std::string::npos) << r.error().what();
  fs::create_directories(data_ / "pg_logical" / "snapshots");
  snap[20] ^= 1;
  r = stage_slot_files(data_, {{"cdc", bytes, snap}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("checksum mismatch"), std::string::npos) << r.error().what();
  EXPECT_FALSE(fs::exists(data_ / "pg_replslot" / "cdc.slotd.tmp"));
}

} // namespace
} // namespace slotd::pg::slotfile
