#include "pg/model/retention.hpp"

#include <set>

namespace slotd::model {

retention_update update_retention(const retention_state& previous, const cluster_view& view,
                                  std::string_view my_name, time_point now) {
  retention_update out;
  if (view.member_slots_ttl <= std::chrono::milliseconds::zero())
    return out;
  const auto own = slot_name_from_member_name(my_name);
  auto tracked = [&](const std::string& slot) {
    auto perm = view.slots.find(slot);
    bool permanent_physical = perm != view.slots.end() && perm->second.type == slot_type::physical;
    return slot != own && !permanent_physical;
  };
  std::set<std::string> present;
  for (const auto& [name, m] : view.members) {
    auto slot = slot_name_from_member_name(name);
    if (!m.tags.nostream && tracked(slot)) {
      present.insert(slot);
      out.state.last_seen[slot] = now;
    }
  }
  for (const auto& [slot, seen] : previous.last_seen) {
    if (present.contains(slot) || !tracked(slot))
      continue;
    if (seen + view.member_slots_ttl > now) {
      out.state.last_seen[slot] = seen;
      out.retained.push_back(slot);
    } else {
      out.expired.push_back(slot);
    }
  }
  return out;
}

} // namespace slotd::model
