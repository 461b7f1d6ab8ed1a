#pragma once
// What operators see of each slot beyond the slot listing (docs/api.md,
// GET /status): the backend that uses it (pg_stat_activity by active_pid),
// safe_wal_size (13+) and inactive_since (17+). Read once per full cycle,
// never on the sampling path.
#include <string>

#include "pg/client/result.hpp"
#include "pg/client/rows.hpp"
#include "pg/model/slot_figures.hpp"

namespace slotd::pg::queries {

// Columns: slot_name, active_pid, safe_wal_size, inactive_since (ms since
// the epoch), application_name, client address, backend_start (ms since
// the epoch), backend_type. Temporary slots are left out, as in the listing.
std::string slot_details_sql(int version);
result<model::slot_details_map> parse_slot_details(const rows& r);

} // namespace slotd::pg::queries
