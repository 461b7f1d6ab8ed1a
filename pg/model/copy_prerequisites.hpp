#pragma once
// What must hold before a replica is stopped to install copied slots: a
// copy whose next start fails or misbehaves must cost no restart. Checked
// from SQL on both servers, right before the stop:
// - local wal_level is logical (a logical slot file on a server below that
//   is FATAL at start);
// - enough free max_replication_slots for the slots that are new here (a
//   slot file beyond the limit is FATAL at start too);
// - the leader's major is the local one (a slot file of another major is a
//   PANIC "unsupported version" on every start);
// - the leader's system_identifier is the local one (a foreign cluster's
//   slot would be bound to whatever local database has that OID);
// - each slot's database exists here;
// - the local server is still a standby (the HA manager may have promoted
//   it while the files were read: a new primary must not be stopped).
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "pg/model/refused_slot.hpp"

namespace slotd::model {

struct node_facts {
  std::string wal_level;
  int max_replication_slots = 0;
  int slots_in_use = 0;
  std::set<std::string> slot_names; // the slots that exist (a copy replaces these in place)
  std::set<std::string> databases;
  std::optional<std::string> system_identifier; // nullopt: could not be read
  int server_version = 0;                       // server_version_num
  bool in_recovery = true;                      // a copy goes only into a standby
};

struct copy_candidate {
  std::string name;
  std::string database;
};

struct prerequisites_verdict {
  std::vector<std::string> blocking;   // the copy as a whole may not happen
  std::vector<refused_slot> refused;   // single slots left out
  std::vector<std::string> allowed;    // slots that may be installed
  bool ok() const { return blocking.empty() && !allowed.empty(); }
};

// `leader` needs only system_identifier and server_version.
prerequisites_verdict check_copy_prerequisites(const node_facts& local, const node_facts& leader,
                                               const std::vector<copy_candidate>& slots);

} // namespace slotd::model
