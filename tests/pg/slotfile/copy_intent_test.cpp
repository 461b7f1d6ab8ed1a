#include "pg/slotfile/copy_intent.hpp"

#include <fstream>

#include <gtest/gtest.h>

namespace slotd::pg::slotfile {
namespace {

namespace fs = std::filesystem;

struct copy_intent_test : ::testing::Test {
  void SetUp() override {
    char tmpl[] = "/tmp/slotd-intent-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root = tmpl;
  }
  void TearDown() override { fs::remove_all(root); }
  fs::path root;
};

TEST_F(copy_intent_test, written_read_and_removed) {
  auto dir = root / "main.slotd"; // created on the first write
  auto none = read_copy_intent(dir);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  copy_intent in{"stopping", {"cdc", "audit"}, 1700000000, 4242};
  ASSERT_TRUE(write_copy_intent(dir, in));
  EXPECT_FALSE(fs::exists(copy_intent_path(dir).string() + ".tmp"));
  auto back = read_copy_intent(dir);
  ASSERT_TRUE(back);
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ(**back, in);
  ASSERT_TRUE(remove_copy_intent(dir));
  EXPECT_FALSE(fs::exists(copy_intent_path(dir)));
  EXPECT_TRUE(remove_copy_intent(dir)) << "removing what is gone is fine";
}

TEST_F(copy_intent_test, a_malformed_record_is_an_error_not_nothing) {
  std::ofstream(copy_intent_path(root)) << "slots=cdc\n";
  EXPECT_FALSE(read_copy_intent(root));
  std::ofstream(copy_intent_path(root)) << "phase=stopping\nstarted=soon\n";
  EXPECT_FALSE(read_copy_intent(root));
}

} // namespace
} // namespace slotd::pg::slotfile

namespace slotd::pg::slotfile {
namespace {

// The re-copy limit survives a restart of slotd: re-copies are kept for
// the window, older ones are dropped at the next write.
TEST_F(copy_intent_test, recopy_history_is_kept_for_the_window) {
  auto dir = root / "main.slotd";
  auto empty = read_recopy_history(dir);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  ASSERT_TRUE(record_recopies(dir, {"cdc"}, 1000, 3600));
  ASSERT_TRUE(record_recopies(dir, {"cdc", "audit"}, 2000, 3600));
  auto h = read_recopy_history(dir);
  ASSERT_TRUE(h);
  EXPECT_EQ((*h)["cdc"], (std::vector<std::int64_t>{1000, 2000}));
  EXPECT_EQ((*h)["audit"], (std::vector<std::int64_t>{2000}));
  ASSERT_TRUE(record_recopies(dir, {"audit"}, 4700, 3600)); // 1000 left the window
  h = read_recopy_history(dir);
  EXPECT_EQ((*h)["cdc"], (std::vector<std::int64_t>{2000}));
  EXPECT_EQ((*h)["audit"], (std::vector<std::int64_t>{2000, 4700}));
}

} // namespace
} // namespace slotd::pg::slotfile
