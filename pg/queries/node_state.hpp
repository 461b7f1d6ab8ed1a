#pragma once
// The local server's state for one HA-loop cycle in one round trip, and the
// conversion of slot rows into the slot model's values.
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
// postmaster start time (a change means the server restarted).
std::string node_state_sql();

struct node_state {
  bool in_recovery = false;
  std::optional<lsn> current_lsn;
  std::optional<lsn> replay_lsn;
  std::optional<bool> hot_standby_feedback;
  std::optional<std::string> sender_host;
  std::optional<int> sender_port;
  std::string started_at;
};

result<node_state> parse_node_state(const rows& r);

model::local_slot to_local_slot(const slot_row& row);
model::slot_cache to_slot_cache(const std::vector<slot_row>& rows);

} // namespace slotd::pg::queries
