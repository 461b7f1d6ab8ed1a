#pragma once
// Who streams from whom (the replicatefrom / nostream tags).
#include <optional>
#include <string>
#include <string_view>

#include "pg/model/cluster_view.hpp"

namespace slotd::model {

// A member's tags, or the default tags when it is not in the view.
member_tags tags_of(const cluster_view& view, std::string_view member_name);

// docs/slot-rules.md §3.4: the physical slot on the primary through which WAL
// reaches `name` (for a cascade: the slot of the topmost replica of the
// chain).
// Walk replicatefrom: a nostream node → nullopt; a cycle → nullopt;
// replicatefrom naming no member, or itself → this node's slot.
// docs/slot-rules.md Q7: the walk stops at the leader — a member replicating
// from the leader streams through its own slot, not the leader's.
std::optional<std::string> get_slot_name_on_primary(const cluster_view& view, std::string_view name,
                                                    const std::optional<std::string>& leader);

} // namespace slotd::model
