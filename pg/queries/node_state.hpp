#pragma once
// The local server's state for one HA-loop cycle in one round trip, and the
// conversion of slot rows into the slot model's values.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pg/client/result.hpp"
#include "pg/client/rows.hpp"
#include "pg/model/local_slot.hpp"
#include "pg/queries/slots.hpp"

namespace slotd::pg::queries {

// in_recovery, current WAL LSN (primary), replay LSN (standby),
// hot_standby_feedback, the WAL receiver's sender host and port (standby),
// postmaster start time (a change means the server restarted), the last
// WAL received (standby) and the timeline (a standby's: the one its WAL
// receiver streams, null when it does not stream).
std::string node_state_sql();

struct node_state {
  bool in_recovery = false;
  std::optional<lsn> current_lsn;
  std::optional<lsn> replay_lsn;
  std::optional<bool> hot_standby_feedback;
  std::optional<std::string> sender_host;
  std::optional<int> sender_port;
  std::string started_at;
  std::optional<lsn> receive_lsn;
  std::optional<std::int64_t> timeline;
  // pg_stat_wal_receiver.status; nullopt: no WAL receiver; "hidden": one
  // runs, but this role may not see its status (no pg_read_all_stats).
  std::optional<std::string> wal_receiver;
};

result<node_state> parse_node_state(const rows& r);

model::local_slot to_local_slot(const slot_row& row);
model::slot_cache to_slot_cache(const std::vector<slot_row>& rows);

} // namespace slotd::pg::queries
