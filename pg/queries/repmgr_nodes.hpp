#pragma once
// repmgr.nodes, read for `members_from: repmgr` (pg/model/repmgr_members.hpp):
// repmgr 4 and 5 keep their node records there, in the database of their
// conninfo, replicated to every node.
#include <string>
#include <vector>

#include "pg/client/rows.hpp"
#include "pg/client/result.hpp"
#include "pg/model/repmgr_members.hpp"

namespace slotd::pg::queries {

std::string repmgr_nodes_sql();

// Each row with its conninfo's host (else hostaddr) and port read out; a
// conninfo libpq cannot parse leaves the node's conninfo_problem set.
result<std::vector<model::repmgr_node>> parse_repmgr_nodes(const rows& r);

} // namespace slotd::pg::queries
