#pragma once
// Failover readiness of copied logical slots on a replica
// (docs/slot-rules.md §2.3.18–§2.3.20, §2.3.23). Informational: it never
// blocks promotion, it feeds GET /readiness and the promote reply. xids are
// compared modulo 2^32 (docs/slot-rules.md Q1); a NULL anywhere means "not
// ready yet", never an error.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pg/model/cluster_view.hpp"
#include "pg/model/desired_slots.hpp"
#include "pg/model/diagnostic.hpp"
#include "pg/model/failover_slots.hpp"
#include "pg/model/local_slot.hpp"
#include "pg/types/xid.hpp"

namespace slotd::model {

// Logical slots not yet proven safe → the primary logical slot's
// catalog_xmin captured the first time the primary's physical slot for us
// had one (nullopt: not captured yet).
struct readiness_queue {
  std::map<std::string, std::optional<pg::xid>> pending;
  friend bool operator==(const readiness_queue&, const readiness_queue&) = default;
};

// §1.3 step 4: after a (re)start or a copy: every local logical slot that
// is not ignored and (before 17, or not a failover slot) starts unproven.
readiness_queue rebuild_readiness_queue(const slot_cache& local, const std::vector<ignore_matcher>& ignore_slots,
                                        int server_major);

// §2.3.18 step 2: the names to look up on the leader: the slots whose
// primary catalog_xmin is not captured yet, plus my physical slot there.
std::vector<std::string> readiness_lookup_names(const readiness_queue& queue, const std::string& physical_slot);

// What the leader answered: slot name → catalog_xmin, for the names asked
// (a slot missing from the map does not exist there, or the leader is in
// recovery).
using leader_catalog_xmins = std::map<std::string, std::optional<pg::xid>>;

struct readiness_result {
  readiness_queue queue;
  // The primary's physical slot has no catalog_xmin: the caller should check
  // the local hot_standby_feedback setting and say so when it is off.
  bool check_hot_standby_feedback = false;
  std::vector<std::string> became_ready;
  std::vector<diagnostic> diagnostics;
};

// §2.3.18–§2.3.20. `leader` is nullopt when there is no leader (or the
// queue is empty and nothing was asked): then only entries whose local slot
// is gone are pruned. `physical_slot` is get_slot_name_on_primary(me) —
// nullopt when I have no streaming path, which reads as "missing there".
readiness_result check_readiness(const readiness_queue& queue, const slot_cache& local,
                                 const std::optional<leader_catalog_xmins>& leader,
                                 const std::optional<std::string>& physical_slot);

// §2.3.20's condition for one slot, with NULL = not ready:
// primary_logical_xmin <= physical_xmin <= local_xmin, modulo 2^32.
bool is_safe_after_failover(std::optional<pg::xid> primary_logical_xmin, std::optional<pg::xid> physical_xmin,
                            std::optional<pg::xid> local_xmin);

// One desired logical slot's failover readiness on a replica, with the
// reason when it is not ready. What GET /readiness and the promote reply
// both say (they must never disagree):
// - 17+ failover slots are PostgreSQL's (slotsync): ready by their sync state;
// - otherwise the local copy must exist, not be lost (13+ wal_status), and
//   be proven safe (not pending in the readiness queue).
struct slot_verdict {
  std::string name;
  bool ready = false;
  std::string reason; // empty when ready
  friend bool operator==(const slot_verdict&, const slot_verdict&) = default;
};
// - and not be ahead of the leader's slot (`leader`: the last sampled
//   positions of the leader's slots, empty when none; copy_ahead_of_leader).
std::vector<slot_verdict> judge_desired_logical_slots(const desired_set& desired, const slot_cache& local,
                                                      const readiness_queue& queue, int server_major,
                                                      const std::vector<failover_slot_state>& failover_slots,
                                                      const slot_positions& leader);

// The node's answer to GET /readiness: may it take over without a consumer
// losing changes? A node holding the lead is ready. A replica is ready once
// its role and leader are known, it has planned with that leader, the local
// server has been seen, and every desired logical slot's verdict is ready.
struct node_readiness_input {
  bool local_seen = false;       // a snapshot of the local server exists
  bool role_known = false;       // told, or inferred by role auto
  bool holds_lead = false;       // primary or promoting
  bool told_replica = false;
  bool has_leader = false;
  bool planned_with_leader = false; // the desired set was computed with the leader in force
  std::vector<slot_verdict> slots;  // judge_desired_logical_slots
  // 17+: why the leader's synchronized_standby_slots does not protect this
  // replica (standby_protection_gap); empty: it does, or no such rule.
  std::string standby_protection_gap;
};
struct node_readiness {
  bool ready = false;
  std::vector<std::string> unready;
  std::map<std::string, std::string> reasons; // unready slot → why
  std::string reason;                         // why the node as a whole cannot say (empty: it can)
  friend bool operator==(const node_readiness&, const node_readiness&) = default;
};
node_readiness judge_node_readiness(const node_readiness_input& in);

} // namespace slotd::model
