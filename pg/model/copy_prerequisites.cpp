#include "pg/model/copy_prerequisites.hpp"

namespace slotd::model {

prerequisites_verdict check_copy_prerequisites(const node_facts& local, const node_facts& leader,
                                               const std::vector<copy_candidate>& slots) {
  prerequisites_verdict v;
  if (!local.in_recovery)
    v.blocking.push_back("the local server is not in recovery any more (promoted?): not stopping a primary");
  if (local.wal_level != "logical")
    v.blocking.push_back("wal_level is '" + local.wal_level +
                         "' here: logical slots need wal_level = logical (the server would not start)");
  if (local.server_version / 10000 != leader.server_version / 10000)
    v.blocking.push_back("the leader runs PostgreSQL " + std::to_string(leader.server_version / 10000) +
                         " and this server " + std::to_string(local.server_version / 10000) +
                         ": slot files do not cross majors (PANIC at every start)");
  if (!local.system_identifier || !leader.system_identifier)
    v.blocking.push_back("cannot compare the system identifiers (unknown " +
                         std::string(local.system_identifier ? "on the leader" : "here") +
                         "): a slot from another cluster must never be installed");
  else if (*local.system_identifier != *leader.system_identifier)
    v.blocking.push_back("the leader's system identifier " + *leader.system_identifier + " is not this server's " +
                         *local.system_identifier + ": it is another cluster");
  int free = local.max_replication_slots - local.slots_in_use;
  for (auto& s : slots) {
    if (!local.databases.contains(s.database)) {
      v.refused.push_back({s.name, "database " + s.database + " does not exist here"});
      continue;
    }
    if (!local.slot_names.contains(s.name)) {
      if (free <= 0) {
        v.refused.push_back({s.name, "no free replication slot here (max_replication_slots = " +
                                         std::to_string(local.max_replication_slots) + ", " +
                                         std::to_string(local.slots_in_use) + " in use)"});
        continue;
      }
      --free;
    }
    v.allowed.push_back(s.name);
  }
  return v;
}

} // namespace slotd::model
