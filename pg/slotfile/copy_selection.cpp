#include "pg/slotfile/copy_selection.hpp"

#include <algorithm>

#include "pg/slotfile/slot_state.hpp"
#include "pg/slotfile/snapshot_file.hpp"

namespace slotd::pg::slotfile {

copy_selection select_copy_files(const std::vector<wanted_slot>& wanted, const std::vector<leader_slot_file>& files) {
  copy_selection out;
  for (auto& w : wanted) {
    auto f = std::find_if(files.begin(), files.end(), [&](const leader_slot_file& x) { return x.name == w.name; });
    if (f == files.end()) {
      out.refused.push_back({w.name, "the leader has no such slot (or no state file for it yet)"});
      continue;
    }
    if (f->database != w.database || f->plugin != w.plugin) {
      out.refused.push_back({w.name, "the leader has it in database " + f->database + " with plugin " + f->plugin +
                                         ", the configuration says " + w.database + " / " + w.plugin});
      continue;
    }
    if (!f->unusable.empty()) {
      out.refused.push_back({w.name, f->unusable});
      continue;
    }
    expected_slot want{f->name, true, std::nullopt, f->plugin};
    if (auto valid = validate_slot_state(f->bytes, want); !valid) {
      out.refused.push_back({w.name, std::string("invalid state file from the leader: ") + valid.error().what()});
      continue;
    }
    if (!f->snapshot.empty())
      if (auto snap = validate_snapshot_file(f->snapshot); !snap) {
        out.refused.push_back({w.name, std::string("invalid snapshot file from the leader: ") + snap.error().what()});
        continue;
      }
    out.files.push_back({f->name, f->bytes, f->snapshot});
  }
  return out;
}

} // namespace slotd::pg::slotfile
