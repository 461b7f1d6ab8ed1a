#include "pg/slotfile/copy_selection.hpp"

#include <gtest/gtest.h>

#include "tests/pg/slotfile/slot_file_builder.hpp"

namespace slotd::pg::slotfile {
namespace {

TEST(CopySelection, OnlyWantedValidMatchingFilesAreInstalled) {
  testing::slot_file_spec cdc;
  cdc.name = "cdc";
  cdc.plugin = "pgoutput";
  testing::slot_file_spec other = cdc;
  other.name = "other";
  std::vector<wanted_slot> wanted{{"cdc", "app", "pgoutput"}, {"moved", "app", "pgoutput"},
                                  {"gone", "app", "pgoutput"}, {"broken", "app", "pgoutput"}};
  std::vector<leader_slot_file> files{{"cdc", "app", "pgoutput", testing::build_slot_file(cdc)},
                                      {"moved", "elsewhere", "pgoutput", testing::build_slot_file(cdc)},
                                      {"broken", "app", "pgoutput", "short"},
                                      {"other", "app", "pgoutput", testing::build_slot_file(other)}};
  auto sel = select_copy_files(wanted, files);
  ASSERT_EQ(sel.files.size(), 1u);
  EXPECT_EQ(sel.files[0].name, "cdc");
  ASSERT_EQ(sel.refused.size(), 3u);
  EXPECT_EQ(sel.refused[0].slot, "moved");
  EXPECT_NE(sel.refused[0].why.find("the leader has it in database elsewhere"), std::string::npos);
  EXPECT_EQ(sel.refused[1].slot, "gone");
  EXPECT_NE(sel.refused[1].why.find("the leader has no such slot"), std::string::npos);
  EXPECT_EQ(sel.refused[2].slot, "broken");
  EXPECT_NE(sel.refused[2].why.find("invalid state file"), std::string::npos);
}

// A state file whose inner name is another slot's is refused.
TEST(CopySelection, FileOfAnotherSlotIsRefused) {
  testing::slot_file_spec spec;
  spec.name = "not_cdc";
  spec.plugin = "pgoutput";
  auto sel = select_copy_files({{"cdc", "app", "pgoutput"}},
                               {{"cdc", "app", "pgoutput", testing::build_slot_file(spec)}});
  EXPECT_TRUE(sel.files.empty());
  ASSERT_EQ(sel.refused.size(), 1u);
}

// The leader's snapshot goes with its slot; an invalid one, or files the
// leader could not give whole (`unusable`), refuse the slot.
TEST(CopySelection, SnapshotGoesWithItsSlotAndAnInvalidOneIsRefused) {
  testing::slot_file_spec a, b;
  a.name = "a";
  b.name = "b";
  auto snap = testing::build_snapshot_file(1);
  auto bad = snap;
  bad[0] = 0;
  testing::slot_file_spec c = a;
  c.name = "c";
  auto sel = select_copy_files({{"a", "app", "pgoutput"}, {"b", "app", "pgoutput"}, {"c", "app", "pgoutput"}},
                               {{"a", "app", "pgoutput", testing::build_slot_file(a), snap},
                                {"b", "app", "pgoutput", testing::build_slot_file(b), bad},
                                {"c", "app", "pgoutput", testing::build_slot_file(c), "", "the slot moved on"}});
  ASSERT_EQ(sel.files.size(), 1u);
  EXPECT_EQ(sel.files[0].snapshot, snap);
  ASSERT_EQ(sel.refused.size(), 2u);
  EXPECT_EQ(sel.refused[0].slot, "b");
  EXPECT_NE(sel.refused[0].why.find("invalid snapshot file"), std::string::npos) << sel.refused[0].why;
  EXPECT_EQ(sel.refused[1], (model::refused_slot{"c", "the slot moved on"}));
  EXPECT_EQ(model::to_string(sel.refused[1]), "c: the slot moved on");
}

} // namespace
} // namespace slotd::pg::slotfile
