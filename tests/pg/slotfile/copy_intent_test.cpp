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
