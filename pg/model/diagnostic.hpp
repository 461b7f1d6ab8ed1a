#pragma once
// A message the slot model wants an operator to read: what is wrong, about
// which slot. Expected outcomes are values, not exceptions (docs/design.md
// §3). The § and Q numbers below are those of docs/slot-rules.md.
#include <string>

namespace slotd::model {

enum class severity { info, warning, error };

enum class diagnostic_code {
  member_slot_collision,   // §3.5 step 7: members share a slot name
  invalid_slot_name,       // §3.1: permanent slot name not ^[a-z0-9_]{1,63}$
  bad_slot_value,          // §3.7: logical without database/plugin
  conflicts_member_slot,   // §3.7: permanent logical named like a member slot
  unsupported_version,     // §2.6: server major outside 12..18
  role_mismatch,           // docs/design.md §1: told replica, server not in recovery
  not_dropped_paused,      // pause blocks a drop the rules would make
  slot_active,             // a drop the rules would make, but the slot is in use
  replay_lsn_unknown,      // Q9: logical advance skipped this cycle
  recopy_limited,          // Q5: too many re-copies of one slot
  copy_lost,               // §4.5: a replica's copy is lost (13+): copied again
  primary_slot_missing,    // §2.3.18: my physical slot is not on the primary
  hot_standby_feedback_needed, // §2.3.19: primary's slot has no catalog_xmin
  slot_ready,              // §2.3.20: a logical slot became failover-safe
  member_slot_expired,     // §3.10: retention TTL of an absent member ran out
  retention_drop,          // §3.13 rule 8: dropped at its retention limit (action drop_inactive)
};

struct diagnostic {
  severity level = severity::info;
  diagnostic_code code = diagnostic_code::invalid_slot_name;
  std::string slot; // the slot it is about (may be empty)
  std::string text; // the sentence for the log
  friend bool operator==(const diagnostic&, const diagnostic&) = default;
};

} // namespace slotd::model
