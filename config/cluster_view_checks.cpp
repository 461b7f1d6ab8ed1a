#include "config/cluster_view_checks.hpp"

#include <map>

namespace slotd::config {

std::vector<view_problem> find_view_problems(const model::cluster_view& view, std::string_view my_name) {
  std::vector<view_problem> out;
  auto add = [&](view_problem::subject about, std::string key, std::string message,
                 severity sev = severity::error) {
    out.push_back({about, std::move(key), std::move(message), sev});
  };

  if (!my_name.empty() && !view.members.empty() && !view.members.contains(std::string(my_name))) {
    std::string names;
    for (const auto& [name, m] : view.members)
      names += (names.empty() ? "" : ", ") + name;
    add(view_problem::subject::own_name, {},
        "name '" + std::string(my_name) + "' is not among the members (" + names + ")");
  }

  std::map<std::string, std::string> slot_owner; // member slot name -> first member
  for (const auto& [name, m] : view.members) {
    if (m.tags.nostream) // a member that does not stream has no slot anywhere
      continue;
    std::string slot = model::slot_name_from_member_name(name);
    auto [first, fresh] = slot_owner.emplace(slot, name);
    if (!fresh)
      add(view_problem::subject::member, name,
          "members '" + first->second + "' and '" + name + "' share the replication slot name '" + slot + "'");
  }
  for (const auto& [name, m] : view.members) {
    const auto& from = m.tags.replicatefrom;
    if (!from)
      continue;
    if (*from == name)
      add(view_problem::subject::member, name,
          "member '" + name + "' replicates from itself (taken as streaming from the primary)", severity::warning);
    else if (!view.members.contains(*from))
      add(view_problem::subject::member, name,
          "member '" + name + "' replicates from '" + *from +
              "', which is not a member (taken as streaming from the primary)",
          severity::warning);
  }

  for (const auto& [name, slot] : view.slots) {
    if (slot.type != model::slot_type::logical)
      continue; // a permanent physical slot named like a member keeps that member's slot (docs/slot-rules.md §3.7)
    auto owner = slot_owner.find(name);
    if (owner != slot_owner.end())
      add(view_problem::subject::slot, name,
          "logical slot '" + name + "' has the name of the physical slot of member '" + owner->second + "'");
  }
  return out;
}

} // namespace slotd::config
