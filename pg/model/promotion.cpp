#include "pg/model/promotion.hpp"

#include <algorithm>

#include "pg/model/version_gates.hpp"

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

final_positions merge_final_positions(const final_positions& files, const slot_cache& last_sample) {
  final_positions out = files;
  for (auto& [name, f] : out) {
    auto s = last_sample.find(name);
    if (s == last_sample.end() || s->second.type != slot_type::logical || !s->second.confirmed_flush_lsn)
      continue;
    if (*s->second.confirmed_flush_lsn > f.confirmed_flush) {
      f.confirmed_flush = *s->second.confirmed_flush_lsn;
      f.from_sample = true;
    }
  }
  return out;
}

handover_targets apply_handover(const slot_cache& local, const std::optional<slot_cache>& sampled,
                                const std::optional<std::map<std::string, pg::lsn>>& handed) {
  handover_targets out;
  out.leader_slots = sampled;
  if (handed && !out.leader_slots)
    out.leader_slots = slot_cache{};
  for (auto& [name, slot] : local) {
    if (slot.type != slot_type::logical)
      continue;
    auto h = handed ? handed->find(name) : std::map<std::string, pg::lsn>::const_iterator{};
    if (handed && h != handed->end()) {
      auto& leader = (*out.leader_slots)[name];
      if (leader.name.empty()) {
        leader.name = name;
        leader.type = slot_type::logical;
        leader.database = slot.database;
        leader.plugin = slot.plugin;
      }
      if (!leader.confirmed_flush_lsn || *leader.confirmed_flush_lsn < h->second)
        leader.confirmed_flush_lsn = h->second;
      out.handed_over.push_back(name);
    } else if (out.leader_slots && out.leader_slots->contains(name)) {
      out.from_samples.push_back(name);
    }
  }
  return out;
}

promote_verdict judge_promotion(const desired_set& desired, const slot_cache& local, const readiness_queue& queue,
                                int server_major, const std::vector<failover_slot_state>& failover_slots,
                                const slot_positions& leader, const std::string& protection_gap) {
  promote_verdict out;
  for (auto v : judge_desired_logical_slots(desired, local, queue, server_major, failover_slots, leader)) {
    if (auto d = desired.find(v.name); v.ready && !protection_gap.empty() && d != desired.end() &&
                                       d->second.failover && has_failover_slots(server_major)) {
      v.ready = false;
      v.reason = protection_gap;
    }
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
