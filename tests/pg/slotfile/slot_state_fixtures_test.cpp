// The parser against real state files of every major 12-18 (fixtures
// captured from the npm/Debian servers by tests/pg/slotfile/data/capture).
#include <gtest/gtest.h>

#include "pg/slotfile/slot_state.hpp"
#include "tests/pg/slotfile/slot_fixtures.hpp"

namespace slotd::pg::slotfile {
namespace {

using testing::load_fixture;

class slot_state_fixture : public ::testing::TestWithParam<int> {};

TEST_P(slot_state_fixture, parses_what_pg_replication_slots_showed) {
  auto f = load_fixture(GetParam());
  auto s = parse_slot_state(f.state);
  ASSERT_TRUE(s) << s.error().what();
  EXPECT_EQ(testing::compare_with_columns(*s, f.columns, f.major), "");
  EXPECT_TRUE(s->is_logical());
  EXPECT_EQ(s->persistency, static_cast<std::uint32_t>(persistency::persistent));
  // restart_lsn and confirmed_flush differ in every fixture: a swapped
  // offset would show.
  EXPECT_NE(s->restart_lsn, *s->confirmed_flush);
}

TEST_P(slot_state_fixture, validates_and_refuses_like_a_copy_would) {
  auto f = load_fixture(GetParam());
  auto datoid = static_cast<std::uint32_t>(std::stoul(f.columns.at("datoid")));
  EXPECT_TRUE(validate_slot_state(f.state, expected_slot{"cdc", true, datoid, std::string("test_decoding")}));
  EXPECT_FALSE(validate_slot_state(f.state, expected_slot{"cdc", true, datoid, std::string("pgoutput")}));
  EXPECT_FALSE(validate_slot_state(f.state, expected_slot{"cdc", false, {}, {}}));
  EXPECT_FALSE(validate_slot_state(f.state, expected_slot{"cdc", true, datoid + 1, {}}));
  auto truncated = f.state.substr(0, f.state.size() - 8);
  EXPECT_FALSE(parse_slot_state(truncated));
  auto flipped = f.state;
  flipped[120] ^= 0x01;
  EXPECT_FALSE(parse_slot_state(flipped)); // checksum
}

TEST_P(slot_state_fixture, reads_the_invalidation_mark) {
  auto f = load_fixture(GetParam());
  if (f.major < 13)
    GTEST_SKIP() << "PostgreSQL 12 files have no invalidation field";
  auto marked = f.state;
  marked[104] = 1; // 13-15: invalidated_at (an LSN); 16+: RS_INVAL_WAL_REMOVED
  write_checksum(marked);
  auto s = parse_slot_state(marked);
  ASSERT_TRUE(s) << s.error().what();
  EXPECT_EQ(s->invalidated, true);
}

INSTANTIATE_TEST_SUITE_P(majors, slot_state_fixture, ::testing::Values(12, 13, 14, 15, 16, 17, 18),
                         [](const auto& param_info) { return "pg" + std::to_string(param_info.param); });

} // namespace
} // namespace slotd::pg::slotfile
