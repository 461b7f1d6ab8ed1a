#pragma once
// Problems that only show across parts of a cluster view: between members,
// between slots and members, and with this agent's own name. The config file
// reports them at a position; PUT /cluster reports them after merging the
// update into the running view (cluster_update.hpp).
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.hpp"
#include "pg/model/cluster_view.hpp"

namespace slotd::config {

struct view_problem {
  enum class subject { own_name, member, slot };
  subject about;
  std::string key; // the member or slot name (empty for own_name)
  std::string message;
  severity level = severity::error;
};

// Errors:
// - my_name (when given) is not a member while members is non-empty: a typo
//   here would make the primary keep a slot for this node under another name
//   and lose track of which member slotd itself is;
// - two streaming members share a slot name (docs/slot-rules.md §3.1: "a-b"
//   and "a.b" both map to a_b), so one physical slot would serve two standbys;
// - a permanent logical slot has a member's physical slot name
//   (docs/slot-rules.md §3.7).
// Warnings (allowed, as in Patroni, which then treats the member as streaming
// from the primary, docs/slot-rules.md §3.4/§3.5):
// - replicatefrom names no member, or the member itself.
std::vector<view_problem> find_view_problems(const model::cluster_view& view, std::string_view my_name);

} // namespace slotd::config
