#pragma once
// The desired slot set of this node (docs/slot-rules.md §3.3–§3.8): member
// slots for the other members, permanent slots from the configuration,
// retained slots of absent members, each with its target position and
// whether a walsender is expected to use it.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pg/model/cluster_view.hpp"
#include "pg/model/diagnostic.hpp"
#include "pg/model/local_slot.hpp"
#include "pg/model/role.hpp"
#include "pg/types/lsn.hpp"

namespace slotd::model {

enum class slot_origin { member, permanent, retained };

struct desired_slot {
  std::string name;
  slot_type type = slot_type::physical;
  std::string database; // logical only
  std::string plugin;   // logical only
  bool failover = false; // logical, PostgreSQL 17+: created with the failover flag
  // Where the slot should be (the leader's published position), never zero.
  std::optional<pg::lsn> lsn;
  // Physical only. true: a walsender should use it (never advanced, never
  // dropped for xmin); false: nobody streams through it here; nullopt (a
  // retained slot): neither advanced nor dropped for xmin.
  std::optional<bool> expected_active;
  slot_origin origin = slot_origin::member;

  slot_shape shape() const { return {type, database, plugin}; }
  friend bool operator==(const desired_slot&, const desired_slot&) = default;
};

using desired_set = std::map<std::string, desired_slot, std::less<>>;

// Who I am in the cluster, for the topology rules.
struct node_context {
  std::string my_name;
  std::optional<std::string> leader; // the leader's member name (me when primary)
  node_role role = node_role::replica;
};

// docs/slot-rules.md §3.5: physical slots for the other members (nostream
// members never get one), plus the retained slots of absent members (§3.10)
// unless I am nofailover. Members whose names normalise to the same slot name
// are reported (the first by member name keeps the slot); a member whose slot
// name equals mine is reported and gets no slot here.
desired_set member_slots(const cluster_view& view, const node_context& node, const slot_positions& positions,
                         const std::vector<std::string>& retained, std::vector<diagnostic>& diagnostics);

// docs/slot-rules.md §3.6: the permanent slots this node holds: none without
// use_slots or on a nofailover replica (a nofailover member holding the lead
// holds a primary's, §3.14); physical only on a node without a streaming
// path to the primary (nostream, its cascade, a cycle); all otherwise.
std::vector<permanent_slot> permanent_slots_for_node(const cluster_view& view, const node_context& node);

// §3.14: the permanent logical slots of which member `my_name` keeps no
// copy because it is nofailover. Promoted anyway, it would create them anew
// at its own position and their consumers would skip changes: a promote and
// a candidate verdict count them as unsafe (empty for any other member).
std::vector<std::string> uncopied_as_nofailover(const cluster_view& view, const std::string& my_name);
inline constexpr const char* uncopied_as_nofailover_reason =
    "this member is nofailover: it keeps no copy of the slot, a promotion creates it anew and its consumer "
    "skips the changes in between";

// docs/slot-rules.md §3.3 + §3.7: validate and add permanent slots to the
// member slots. A member slot wins over a same-named permanent physical slot; a
// permanent physical slot named like me is skipped; a permanent logical slot
// named like a member slot is an error.
void merge_permanent_slots(desired_set& slots, const std::vector<permanent_slot>& permanent,
                           const cluster_view& view, const node_context& node, const slot_positions& positions,
                           std::vector<diagnostic>& diagnostics);

// docs/slot-rules.md §3.8: member slots merged with permanent slots.
desired_set desired_slots(const cluster_view& view, const node_context& node, const slot_positions& positions,
                          const std::vector<std::string>& retained, std::vector<diagnostic>& diagnostics);

// docs/slot-rules.md §3.9: whether `name` needs hot_standby_feedback on: it
// would hold permanent logical slots as a replica, or (with use_slots and a
// streaming path to the primary) a non-leader member cascading from it
// needs it — relays must forward feedback. Cycles end because a cyclic
// chain has no slot on the primary.
bool should_enforce_hot_standby_feedback(const cluster_view& view, std::string_view name,
                                         const std::optional<std::string>& leader);

} // namespace slotd::model
