#pragma once
// pgautofailover.node on the pg_auto_failover monitor, read for
// `ha_source: pg_auto_failover` (pg/model/pgaf_source.hpp), with a LISTEN
// on the monitor's channel "state" in the same round trip: the monitor
// notifies it at every state change it assigns or is reported.
#include <string>
#include <vector>

#include "pg/client/result.hpp"
#include "pg/client/rows.hpp"
#include "pg/model/pgaf_source.hpp"

namespace slotd::pg::queries {

// Parameter-free statements for exec_batch: LISTEN, then the nodes of
// `formation` (its name dollar-quoted into the statement).
std::vector<std::string> pgaf_nodes_batch(const std::string& formation);

// The rows of the batch's last statement.
result<std::vector<model::pgaf_node>> parse_pgaf_nodes(const rows& r);

} // namespace slotd::pg::queries
