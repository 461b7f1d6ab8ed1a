#include "pg/types/lsn.hpp"

#include <gtest/gtest.h>

namespace slotd::pg {
namespace {

TEST(Lsn, ParsesPostgresTextForm) {
  EXPECT_EQ(lsn::parse("16/B374D848"), lsn{0x16B374D848ull});
  EXPECT_EQ(lsn::parse("0/0"), lsn{0});
  EXPECT_EQ(lsn::parse("0/3000060"), lsn{0x3000060});
  EXPECT_EQ(lsn::parse("FFFFFFFF/FFFFFFFF"), lsn{~0ull});
  EXPECT_EQ(lsn::parse("a/b"), lsn{0xA0000000Bull}); // lower-case hex is accepted
}

TEST(Lsn, FormatsUpperCaseWithoutPadding) {
  EXPECT_EQ(lsn{0x16B374D848ull}.str(), "16/B374D848");
  EXPECT_EQ(lsn{0}.str(), "0/0");
  EXPECT_EQ(lsn{0x303A}.str(), "0/303A");
  EXPECT_EQ(lsn{~0ull}.str(), "FFFFFFFF/FFFFFFFF");
}

TEST(Lsn, RoundTripsThroughText) {
  for (std::uint64_t v : {0ull, 1ull, 12345ull, 0x100000000ull, 0xDEADBEEFCAFEull, ~0ull}) {
    auto text = lsn{v}.str();
    auto back = lsn::parse(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(back->value(), v) << text;
  }
}

TEST(Lsn, RejectsMalformedText) {
  for (const char* bad : {"", "/", "0/", "/0", "12345", "0/0/0", "G/0", "0/-1", "123456789/0", "0/123456789",
                          " 0/0", "0/0 ", "+1/0", "0x1/0"})
    EXPECT_FALSE(lsn::parse(bad)) << bad;
}

TEST(Lsn, OrdersAndMeasures) {
  EXPECT_LT(lsn{1}, lsn{2});
  EXPECT_LT(*lsn::parse("0/FFFFFFFF"), *lsn::parse("1/0"));
  EXPECT_EQ(lsn{100}.bytes_after(lsn{40}), 60u);
  EXPECT_EQ(lsn{40}.bytes_after(lsn{100}), 0u);
  EXPECT_TRUE(lsn{}.is_zero());
  EXPECT_FALSE(lsn{1}.is_zero());
}

} // namespace
} // namespace slotd::pg
