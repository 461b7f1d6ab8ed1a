#include "pg/model/promotion.hpp"

#include <algorithm>

namespace slotd::model {

final_advance_targets plan_final_advance(const slot_cache& local, const std::optional<slot_cache>& leader_slots,
                                         std::optional<pg::lsn> replay_lsn) {
  final_advance_targets out;
  if (!leader_slots || !replay_lsn)
    return out;
  for (const auto& [name, slot] : local) {
    if (slot.type != slot_type::logical || !slot.confirmed_flush_lsn)
      continue;
    auto it = leader_slots->find(name);
    if (it == leader_slots->end() || it->second.type != slot_type::logical || !it->second.confirmed_flush_lsn)
      continue;
    auto target = std::min(*it->second.confirmed_flush_lsn, *replay_lsn);
    if (*slot.confirmed_flush_lsn < target)
      out[slot.database][name] = target;
  }
  return out;
}

promote_verdict judge_promotion(const desired_set& desired, const slot_cache& local, const readiness_queue& queue,
                                int server_major, const std::vector<failover_slot_state>& failover_slots) {
  promote_verdict out;
  for (auto& v : judge_desired_logical_slots(desired, local, queue, server_major, failover_slots)) {
    (v.ready ? out.ready : out.unsafe).push_back(v.name);
    if (!v.ready)
      out.reasons[v.name] = v.reason;
  }
  for (const auto& [name, slot] : local)
    if (slot.type == slot_type::logical && !desired.contains(name))
      (queue.pending.contains(name) ? out.unsafe : out.ready).push_back(name);
  return out;
}

} // namespace slotd::model
