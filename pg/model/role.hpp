#pragma once
// docs/design.md §1 role safety: slotd acts on the role it was told, checked
// against what the local server says (pg_is_in_recovery()).
#include <string_view>

namespace slotd::model {

enum class told_role { primary, replica };

enum class node_role {
  primary,       // told primary, server out of recovery
  promoting,     // told primary, server still in recovery: no xmin drops, no copies
  replica,       // told replica, server in recovery
  role_mismatch, // told replica, server not in recovery: nothing destructive
};

constexpr node_role node_role_of(told_role told, bool in_recovery) {
  if (told == told_role::primary)
    return in_recovery ? node_role::promoting : node_role::primary;
  return in_recovery ? node_role::replica : node_role::role_mismatch;
}

// The desired set of a promoting node is the primary's: it holds the lead.
constexpr bool holds_leader_role(node_role r) {
  return r == node_role::primary || r == node_role::promoting;
}

std::string_view to_string(node_role r);

} // namespace slotd::model
