#pragma once
// Which of the slot files read from the leader may be installed, decided
// before the local server is stopped (a file that cannot be used must never
// cost a restart, patroni#2274): the slot must be wanted as a logical
// slot, the leader's database and plugin must be the configured ones, the
// state file must be a valid, persistent logical slot of that name, and its
// snapshot, when the leader has one, a valid snapshot file.
#include <string>
#include <vector>

#include "pg/model/refused_slot.hpp"
#include "pg/slotfile/install.hpp"

namespace slotd::pg::slotfile {

struct wanted_slot {
  std::string name;
  std::string database;
  std::string plugin;
};

struct leader_slot_file {
  std::string name;
  std::string database;
  std::string plugin;
  std::string bytes;
  std::string snapshot = {}; // its snapshot at restart_lsn (snapshot_file.hpp); empty: none there
  std::string unusable = {}; // why its files cannot be used this time (empty: they can)
};

struct copy_selection {
  std::vector<state_file> files;    // to install
  std::vector<model::refused_slot> refused;
};

copy_selection select_copy_files(const std::vector<wanted_slot>& wanted, const std::vector<leader_slot_file>& files);

} // namespace slotd::pg::slotfile
