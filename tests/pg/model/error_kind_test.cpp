// The kind of each failure, as slotd_errors_total{kind} labels it (docs/api.md).
#include "pg/model/error_kind.hpp"

#include <gtest/gtest.h>

namespace slotd::model {
namespace {

TEST(ErrorKind, AFailedSlotActionHasTheKindOfItsAction) {
  EXPECT_EQ(error_kind_of(slot_action::drop), error_kind::drop);
  EXPECT_EQ(error_kind_of(slot_action::create_physical), error_kind::create);
  EXPECT_EQ(error_kind_of(slot_action::create_logical), error_kind::create);
  EXPECT_EQ(error_kind_of(slot_action::advance_physical), error_kind::advance);
  EXPECT_EQ(error_kind_of(slot_action::set_standby_slots), error_kind::set);
}

TEST(ErrorKind, TheLabelsDocsApiNames) {
  for (auto [k, label] : {std::pair{error_kind::local, "local"}, {error_kind::drop, "drop"},
                          {error_kind::create, "create"}, {error_kind::advance, "advance"}, {error_kind::set, "set"},
                          {error_kind::copy, "copy"}, {error_kind::server, "server"}, {error_kind::model, "model"},
                          {error_kind::config, "config"}, {error_kind::worker, "worker"},
                          {error_kind::copier, "copier"}})
    EXPECT_EQ(to_string(k), label);
}

} // namespace
} // namespace slotd::model
