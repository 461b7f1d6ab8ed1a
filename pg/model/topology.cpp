#include "pg/model/topology.hpp"

#include <set>

namespace slotd::model {

member_tags tags_of(const cluster_view& view, std::string_view member_name) {
  auto it = view.members.find(std::string(member_name));
  return it == view.members.end() ? member_tags{} : it->second.tags;
}

std::optional<std::string> get_slot_name_on_primary(const cluster_view& view, std::string_view name,
                                                    const std::optional<std::string>& leader) {
  std::string current(name);
  std::set<std::string> visited;
  for (;;) {
    if (!visited.insert(current).second)
      return std::nullopt; // replicatefrom cycle
    auto tags = tags_of(view, current);
    if (tags.nostream)
      return std::nullopt;
    const auto& upstream = tags.replicatefrom;
    bool moves = upstream && *upstream != current && view.members.contains(*upstream) &&
                 upstream != leader; // docs/slot-rules.md Q7: stop at the leader
    if (!moves)
      return slot_name_from_member_name(current);
    current = *upstream;
  }
}

} // namespace slotd::model
