#pragma once
// A slot as the local server reports it in pg_replication_slots, and the
// two questions asked about it everywhere: does it match what we want
// (compare_slots, docs/slot-rules.md §2.1) and is it ignored (ignore_slots,
// §2.3.7).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pg/model/cluster_view.hpp"
#include "pg/types/lsn.hpp"
#include "pg/types/xid.hpp"

namespace slotd::model {

struct local_slot {
  std::string name;
  slot_type type = slot_type::physical;
  std::string plugin;   // logical only
  std::string database; // logical only (pg_replication_slots.database)
  std::optional<std::uint32_t> datoid;
  std::optional<pg::xid> xmin;
  std::optional<pg::xid> catalog_xmin;
  std::optional<pg::lsn> restart_lsn;
  std::optional<pg::lsn> confirmed_flush_lsn;
  std::optional<std::string> wal_status; // PostgreSQL 13+
  bool failover = false;                 // PostgreSQL 17+
  bool synced = false;                   // PostgreSQL 17+
  bool active = false;
  bool temporary = false;
  friend bool operator==(const local_slot&, const local_slot&) = default;
};

// A slot's position: confirmed_flush_lsn for a logical slot, restart_lsn
// for a physical one.
inline std::optional<pg::lsn> position_of(const local_slot& s) {
  return s.type == slot_type::logical ? s.confirmed_flush_lsn : s.restart_lsn;
}

// By slot name.
using slot_cache = std::map<std::string, local_slot, std::less<>>;

slot_cache make_slot_cache(const std::vector<local_slot>& rows);

// docs/slot-rules.md §2.3.5: the slots every rule works on. Temporary slots (a
// pg_basebackup's) are hidden, and on 17+ so are slots that are both
// failover and synced: PostgreSQL's slotsync worker owns those.
slot_cache visible_slots(const slot_cache& live, int server_major);

// What a slot should be, for comparison (a desired or configured slot).
struct slot_shape {
  slot_type type = slot_type::physical;
  std::string_view database;
  std::string_view plugin;
};

// docs/slot-rules.md §2.1: same type and, when `wanted` is logical, same
// database and plugin. Asymmetric on purpose: only the wanted type decides
// whether database and plugin are compared.
bool compare_slots(const slot_shape& wanted, const local_slot& have);

// docs/slot-rules.md §2.3.7: one matcher matches when every attribute it
// sets equals the slot's exactly (no globbing). An empty matcher ignores
// everything; a matcher with a database never matches a physical slot.
bool matches(const ignore_matcher& m, const local_slot& slot);
bool is_ignored(const std::vector<ignore_matcher>& ignore_slots, const local_slot& slot);

// The positions a leader publishes (Patroni's /status.slots): logical →
// confirmed_flush_lsn, physical → restart_lsn; slots without a position are
// left out. The leader's current WAL position goes under its own member
// slot name (`own`), which is how replicas advance their slot for the leader.
using slot_positions = std::map<std::string, pg::lsn, std::less<>>;
slot_positions positions_of(const slot_cache& slots,
                            const std::optional<std::pair<std::string, pg::lsn>>& own = std::nullopt);

} // namespace slotd::model
