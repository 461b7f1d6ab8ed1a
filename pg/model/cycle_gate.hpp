#pragma once
// Ticks and full cycles (docs/design.md §2.1). The HA loop plans every
// time it reads the local server (plan_cycle); what it then applies
// depends on the kind of pass:
// - a tick (between full cycles, every sampling nap) applies only the
//   plan's logical advances, so copies follow their leader closely;
// - a full cycle (every loop_wait, or when asked for) applies the whole
//   plan: drops, creations, physical advances, copies and logical advances.
// A tick whose leader sample shows a slot to copy becomes a full cycle at
// once, when nothing holds the copy back, so a new slot is not left
// waiting for loop_wait. While a copy is under way no other copy starts and
// no logical slot is advanced (a slot about to be replaced).
namespace slotd::model {

struct cycle_gate_input {
  bool full_due = false;      // loop_wait has passed, or a full cycle was asked for
  bool replica = false;       // the plan's role is replica
  bool copies_wanted = false; // the plan has logical slots to copy
  bool copying = false;       // a copy is fetching or has stopped the server
  bool restarting = false;    // the local server is stopped, or down, for a copy
  bool paused = false;
  bool retry_allows = true;   // the backoff after failed copies is over
};

struct cycle_gate {
  bool full = false;           // apply the whole plan
  bool settle_decides = false; // a tick that becomes a full cycle if the copy has settled (copy_settle)
  bool advances = false;       // send the plan's logical advances
  bool copies = false;         // a full cycle may order the plan's copies
  friend bool operator==(const cycle_gate&, const cycle_gate&) = default;
};

cycle_gate gate_cycle(const cycle_gate_input& in);

} // namespace slotd::model
