#pragma once
// What a copy's prerequisites are checked against (model/copy_prerequisites):
// the settings, slots and databases of a server, and its system identifier.
#include "pg/client/connection.hpp"
#include "pg/model/copy_prerequisites.hpp"

namespace slotd::pg::queries {

// wal_level, max_replication_slots, the slot names (one row: a text array
// is avoided, names come as rows of the second statement), the databases.
boost::asio::awaitable<result<model::node_facts>> read_node_facts(connection& conn, deadline until);

// Only the system identifier (nullopt when pg_control_system() is not
// allowed) and the version: what is needed of the leader.
boost::asio::awaitable<result<model::node_facts>> read_identity(connection& conn, deadline until);

} // namespace slotd::pg::queries
