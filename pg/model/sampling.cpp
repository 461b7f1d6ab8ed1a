#include "pg/model/sampling.hpp"

#include <algorithm>

namespace slotd::model {

namespace {

bool same_logical_position(const local_slot& a, const local_slot& b) {
  return a.confirmed_flush_lsn == b.confirmed_flush_lsn && a.restart_lsn == b.restart_lsn &&
         a.catalog_xmin == b.catalog_xmin;
}

} // namespace

bool logical_slots_moved(const slot_cache& before, const slot_cache& after) {
  auto a = before.begin();
  auto b = after.begin();
  auto skip_physical = [](auto& it, const slot_cache& c) {
    while (it != c.end() && it->second.type != slot_type::logical)
      ++it;
  };
  for (;;) {
    skip_physical(a, before);
    skip_physical(b, after);
    if (a == before.end() || b == after.end())
      return (a == before.end()) != (b == after.end());
    if (a->first != b->first || !same_logical_position(a->second, b->second))
      return true;
    ++a;
    ++b;
  }
}

bool sample_fast(const sample_pace_input& in, std::chrono::milliseconds patience, std::chrono::milliseconds hold) {
  if (in.leader_moved || in.creating || in.copies_behind)
    return true;
  if (in.since_leader_moved && *in.since_leader_moved < hold)
    return true;
  if (!in.newest_proof_wait)
    return false;
  return *in.newest_proof_wait < patience || in.own_physical_catalog_xmin_moved;
}

bool catalog_xmin_moved(const slot_cache& before, const slot_cache& after, const std::string& name) {
  auto a = before.find(name);
  auto b = after.find(name);
  if (a == before.end() || b == after.end())
    return (a == before.end()) != (b == after.end());
  return a->second.catalog_xmin != b->second.catalog_xmin;
}

bool copies_behind(const slot_cache& local, const slot_positions& leader) {
  for (auto& [name, slot] : local) {
    if (slot.type != slot_type::logical)
      continue;
    auto it = leader.find(name);
    if (it == leader.end())
      continue;
    if (!slot.confirmed_flush_lsn || *slot.confirmed_flush_lsn < it->second)
      return true;
  }
  return false;
}

std::chrono::milliseconds next_sample_delay(std::chrono::milliseconds previous, bool moved,
                                            const sampling_limits& limits) {
  if (moved)
    return limits.fastest;
  return std::clamp(previous * 2, limits.fastest, std::max(limits.fastest, limits.slowest));
}

std::chrono::milliseconds next_tick_delay(time_point now, time_point next_full_cycle,
                                          std::optional<time_point> copy_due,
                                          std::optional<std::chrono::milliseconds> sample) {
  auto at = next_full_cycle;
  if (copy_due)
    at = std::min(at, *copy_due);
  if (sample)
    at = std::min(at, now + *sample);
  if (at <= now)
    return std::chrono::milliseconds{0};
  return std::chrono::ceil<std::chrono::milliseconds>(at - now);
}

} // namespace slotd::model
