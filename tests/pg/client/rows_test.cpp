#include "pg/client/rows.hpp"

#include <gtest/gtest.h>

#include "tests/pg/fake_rows.hpp"

namespace slotd::pg {
namespace {

using testing::fake_rows;

TEST(rows, typed_getters_with_explicit_null) {
  auto r = fake_rows({"name", "lsn", "xid", "n", "b", "bin"},
                     {{"cdc", "16/B374D848", "4294967295", "-42", "t", "\\x01ff00"},
                      {std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt}});
  ASSERT_EQ(r.size(), 2);
  ASSERT_EQ(r.columns(), 6);
  EXPECT_EQ(r.column_index("xid"), 2);
  EXPECT_EQ(r.column_index("nope"), -1);
  EXPECT_EQ(r.get<std::string>(0, 0), "cdc");
  EXPECT_EQ(r.get<lsn>(0, 1)->value(), 0x16B374D848ull);
  EXPECT_EQ(r.get<xid>(0, 2)->value(), 4294967295u);
  EXPECT_EQ(r.get<std::int64_t>(0, 3), -42);
  EXPECT_EQ(r.get<bool>(0, 4), true);
  EXPECT_EQ(r.get<bytea>(0, 5)->data, std::string("\x01\xff\x00", 3));
  for (int c = 0; c < 6; ++c)
    EXPECT_TRUE(r.is_null(1, c));
  EXPECT_FALSE(r.get<std::string>(1, 0));
  EXPECT_FALSE(r.get<lsn>(1, 1));
  EXPECT_FALSE(r.get<xid>(1, 2));
  EXPECT_FALSE(r.get<std::int64_t>(1, 3));
  EXPECT_FALSE(r.get<bool>(1, 4));
  EXPECT_FALSE(r.get<bytea>(1, 5));
}

TEST(rows, malformed_values_throw_bad_value_naming_the_column) {
  auto r = fake_rows({"lsn", "n", "b", "x"}, {{"16-B3", "12a", "yes", "-1"}});
  EXPECT_THROW(r.get<lsn>(0, 0), bad_value);
  EXPECT_THROW(r.get<std::int64_t>(0, 1), bad_value);
  EXPECT_THROW(r.get<bool>(0, 2), bad_value);
  EXPECT_THROW(r.get<xid>(0, 3), bad_value);
  try {
    r.get<lsn>(0, 0);
  } catch (const bad_value& e) {
    EXPECT_NE(std::string(e.what()).find("lsn"), std::string::npos);
  }
  EXPECT_THROW(r.is_null(5, 0), std::out_of_range);
}

TEST(rows, bytea_hex_decoding) {
  EXPECT_EQ(decode_bytea_hex("\\x"), "");
  EXPECT_EQ(decode_bytea_hex("\\x4142"), "AB");
  EXPECT_FALSE(decode_bytea_hex("\\x414"));
  EXPECT_FALSE(decode_bytea_hex("\\x41zz"));
  EXPECT_FALSE(decode_bytea_hex("4142"));
}

TEST(rows, copies_share_the_result) {
  rows copy;
  {
    auto r = fake_rows({"a"}, {{"1"}});
    copy = r;
  }
  EXPECT_EQ(copy.get<int>(0, 0), 1);
}

} // namespace
} // namespace slotd::pg
