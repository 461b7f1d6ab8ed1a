#include "pg/model/cycle_gate.hpp"

namespace slotd::model {

cycle_gate gate_cycle(const cycle_gate_input& in) {
  cycle_gate g;
  g.full = in.full_due;
  g.advances = !in.copying;
  g.copies = !in.copying;
  if (!in.full_due)
    g.settle_decides = in.replica && in.copies_wanted && !in.copying && !in.restarting && !in.paused &&
                       in.retry_allows;
  return g;
}

} // namespace slotd::model
