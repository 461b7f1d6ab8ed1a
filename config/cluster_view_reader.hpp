#pragma once
// Reading the cluster-view keys (members, slots, ignore_slots,
// member_slots_ttl, use_slots) from YAML or JSON. Internal to config/: the
// config file (load.cpp) and PUT /cluster (cluster_update.cpp) use it.
#include <map>
#include <string>

#include "config/cluster_update.hpp"
#include "config/cluster_view_checks.hpp"
#include "config/yaml_reader.hpp"

namespace slotd::config {

// Where each member and slot was written, for problems found across them.
struct view_positions {
  std::map<std::string, YAML::Mark> members;
  std::map<std::string, YAML::Mark> slots;
};

// Reads one of the cluster-view keys (e.key names which) into `into`.
void read_cluster_key(yaml_reader& reader, const yaml_entry& e, cluster_update& into, view_positions& positions);

// Reports find_view_problems at the member, slot or name they are about
// (`name_at`: where this agent's name is written).
void report_view_problems(yaml_reader& reader, const model::cluster_view& view, std::string_view my_name,
                          const view_positions& positions, const YAML::Mark& name_at);

} // namespace slotd::config
