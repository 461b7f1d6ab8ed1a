// Ticks and full cycles: what each kind of pass applies.
#include "pg/model/cycle_gate.hpp"

#include <gtest/gtest.h>

namespace slotd::model {
namespace {

cycle_gate_input replica_tick() {
  cycle_gate_input in;
  in.replica = true;
  return in;
}

// A tick is no full cycle: the loop sends its logical advances and stops
// there (the plan's drops, creations and copies wait for a full cycle).
TEST(CycleGate, ATickSendsTheLogicalAdvancesAndIsNoFullCycle) {
  auto g = gate_cycle(replica_tick());
  EXPECT_FALSE(g.full);
  EXPECT_TRUE(g.advances);
  EXPECT_FALSE(g.settle_decides) << "nothing to copy";
}

TEST(CycleGate, AFullCycleAppliesEverything) {
  auto in = replica_tick();
  in.full_due = true;
  in.copies_wanted = true;
  EXPECT_EQ(gate_cycle(in), (cycle_gate{true, false, true, true}));
}

TEST(CycleGate, ATickWithASlotToCopyMayBecomeAFullCycle) {
  auto in = replica_tick();
  in.copies_wanted = true;
  EXPECT_EQ(gate_cycle(in), (cycle_gate{false, true, true, true}));
}

TEST(CycleGate, NothingHoldsTheCopyBackOrTheTickStaysATick) {
  auto base = replica_tick();
  base.copies_wanted = true;
  auto held = [&](auto change) {
    auto in = base;
    change(in);
    return !gate_cycle(in).settle_decides;
  };
  EXPECT_TRUE(held([](auto& in) { in.restarting = true; }));
  EXPECT_TRUE(held([](auto& in) { in.paused = true; }));
  EXPECT_TRUE(held([](auto& in) { in.retry_allows = false; }));
  EXPECT_TRUE(held([](auto& in) { in.replica = false; }));
}

TEST(CycleGate, ACopyUnderWayHoldsCopiesAndAdvances) {
  auto in = replica_tick();
  in.copies_wanted = true;
  in.copying = true;
  EXPECT_EQ(gate_cycle(in), (cycle_gate{false, false, false, false}));
  in.full_due = true;
  EXPECT_EQ(gate_cycle(in), (cycle_gate{true, false, false, false}));
}

} // namespace
} // namespace slotd::model
