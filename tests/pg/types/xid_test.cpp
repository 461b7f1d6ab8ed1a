#include "pg/types/xid.hpp"

#include <gtest/gtest.h>

namespace slotd::pg {
namespace {

TEST(Xid, ParsesDecimal) {
  EXPECT_EQ(xid::parse("100"), xid{100});
  EXPECT_EQ(xid::parse("4294967295"), xid{4294967295u});
  EXPECT_EQ(xid::parse("0"), xid{0});
}

TEST(Xid, RejectsMalformedOrOutOfRange) {
  for (const char* bad : {"", "-1", "4294967296", "12a", " 12", "12 ", "0x10", "1.5"})
    EXPECT_FALSE(xid::parse(bad)) << bad;
}

TEST(Xid, ComparesNumericallyNotAsStrings) {
  // Patroni compared xids as strings: "99999" > "100000"
  // (docs/slot-rules.md §5.2.1).
  EXPECT_TRUE(precedes(xid{99999}, xid{100000}));
  EXPECT_FALSE(precedes(xid{100000}, xid{99999}));
}

TEST(Xid, PrecedesAcrossWraparoundAt2To32) {
  const xid before_wrap{4294967290u};
  const xid after_wrap{5};
  EXPECT_TRUE(precedes(before_wrap, after_wrap));
  EXPECT_FALSE(precedes(after_wrap, before_wrap));
  EXPECT_TRUE(precedes(xid{4294967295u}, xid{3}));
  // Half the space apart decides the direction.
  EXPECT_TRUE(precedes(xid{3}, xid{3 + 0x7FFFFFFFu}));
  EXPECT_FALSE(precedes(xid{3}, xid{3 + 0x80000001u}));
}

TEST(Xid, SpecialIdsCompareAsPlainNumbers) {
  EXPECT_TRUE(precedes(xid{2}, xid{4294967295u}));
  EXPECT_FALSE(precedes(xid{4294967295u}, xid{2}));
  EXPECT_TRUE(precedes(xid{0}, xid{1}));
}

TEST(Xid, PrecedesOrEquals) {
  EXPECT_TRUE(precedes_or_equals(xid{7}, xid{7}));
  EXPECT_TRUE(precedes_or_equals(xid{4294967295u}, xid{10}));
  EXPECT_FALSE(precedes_or_equals(xid{10}, xid{4294967295u}));
  EXPECT_FALSE(precedes(xid{7}, xid{7}));
}

} // namespace
} // namespace slotd::pg
