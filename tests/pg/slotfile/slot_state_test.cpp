#include "pg/slotfile/slot_state.hpp"

#include <gtest/gtest.h>

#include "pg/model/cluster_view.hpp"
#include "pg/slotfile/crc32c.hpp"
#include "tests/pg/slotfile/slot_file_builder.hpp"

namespace slotd::pg::slotfile {
namespace {

using testing::build_slot_file;
using testing::slot_file_spec;

expected_slot cdc_expected() { return expected_slot{"cdc", true, 16384u, std::string("pgoutput")}; }

TEST(crc32c, known_vectors) {
  EXPECT_EQ(crc32c(""), 0u);
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u); // the standard check value
}

TEST(slot_state, parses_a_pg15_layout_file) {
  auto bytes = build_slot_file({});
  ASSERT_EQ(bytes.size(), 200u);
  auto s = parse_slot_state(bytes);
  ASSERT_TRUE(s) << s.error().what();
  EXPECT_EQ(s->name, "cdc");
  EXPECT_EQ(s->database, 16384u);
  EXPECT_TRUE(s->is_logical());
  EXPECT_EQ(s->catalog_xmin.value(), 745u);
  EXPECT_EQ(s->restart_lsn.str(), "0/3000028");
  EXPECT_EQ(s->confirmed_flush->str(), "0/3000060");
  EXPECT_EQ(s->plugin, "pgoutput");
  EXPECT_TRUE(validate_slot_state(bytes, cdc_expected()));
}

TEST(slot_state, older_layouts) {
  for (std::uint32_t len : {160u, 168u}) {
    slot_file_spec spec;
    spec.length = len;
    auto s = parse_slot_state(build_slot_file(spec));
    ASSERT_TRUE(s) << len;
    EXPECT_EQ(s->plugin, "pgoutput") << len;
    EXPECT_EQ(s->confirmed_flush->str(), "0/3000060") << len;
  }
}

TEST(slot_state, refuses_truncated_files) {
  auto bytes = build_slot_file({});
  for (std::size_t n : {0ul, 3ul, 16ul, 100ul, 199ul}) {
    auto s = parse_slot_state(std::string_view(bytes).substr(0, n));
    ASSERT_FALSE(s) << n;
    EXPECT_EQ(s.error().call, "slotfile");
  }
}

TEST(slot_state, refuses_foreign_files) {
  std::string junk(200, 'x');
  EXPECT_FALSE(parse_slot_state(junk));
  auto bytes = build_slot_file({});
  auto flipped = bytes;
  flipped[150] ^= 0x01; // a bit flip in the checksummed part
  auto s = parse_slot_state(flipped);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("checksum"), std::string::npos);
  auto longer = bytes + std::string(8, '\0'); // length field disagrees
  EXPECT_FALSE(parse_slot_state(longer));
}

TEST(slot_state, validation_checks_name_kind_database_plugin_persistency) {
  EXPECT_FALSE(validate_slot_state(build_slot_file({}), expected_slot{"other", true, {}, {}}));
  slot_file_spec physical;
  physical.database = 0;
  physical.plugin = "";
  EXPECT_FALSE(validate_slot_state(build_slot_file(physical), cdc_expected()));
  EXPECT_TRUE(validate_slot_state(build_slot_file(physical), expected_slot{"cdc", false, {}, {}}));
  slot_file_spec other_db;
  other_db.database = 1;
  EXPECT_FALSE(validate_slot_state(build_slot_file(other_db), cdc_expected()));
  slot_file_spec other_plugin;
  other_plugin.plugin = "test_decoding";
  auto r = validate_slot_state(build_slot_file(other_plugin), cdc_expected());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("test_decoding"), std::string::npos);
  slot_file_spec ephemeral;
  ephemeral.persistency = 1;
  EXPECT_FALSE(validate_slot_state(build_slot_file(ephemeral), cdc_expected()));
  slot_file_spec unknown_layout;
  unknown_layout.length = 176; // no server writes this length
  EXPECT_TRUE(parse_slot_state(build_slot_file(unknown_layout))); // structure is fine
  EXPECT_FALSE(validate_slot_state(build_slot_file(unknown_layout), cdc_expected())); // plugin unknowable
}

// The one slot-name rule (pg/model/cluster_view.hpp) also keeps the paths
// of installed slot files inside pg_replslot.
TEST(slot_state, slot_names) {
  EXPECT_TRUE(model::is_valid_slot_name("cdc_1"));
  EXPECT_FALSE(model::is_valid_slot_name(""));
  EXPECT_FALSE(model::is_valid_slot_name("../etc"));
  EXPECT_FALSE(model::is_valid_slot_name("Cdc"));
  EXPECT_FALSE(model::is_valid_slot_name(std::string(64, 'a')));
  EXPECT_TRUE(model::is_valid_slot_name(std::string(63, 'a')));
}

} // namespace
} // namespace slotd::pg::slotfile
