#include "pg/model/local_slot.hpp"

#include "pg/model/version_gates.hpp"

namespace slotd::model {

slot_cache make_slot_cache(const std::vector<local_slot>& rows) {
  slot_cache out;
  for (const auto& row : rows)
    out.insert_or_assign(row.name, row);
  return out;
}

slot_cache visible_slots(const slot_cache& live, int server_major) {
  slot_cache out;
  for (const auto& [name, slot] : live) {
    if (slot.temporary)
      continue;
    if (has_failover_slots(server_major) && slot.failover && slot.synced)
      continue;
    out.emplace(name, slot);
  }
  return out;
}

bool compare_slots(const slot_shape& wanted, const local_slot& have) {
  if (wanted.type != have.type)
    return false;
  return wanted.type == slot_type::physical ||
         (wanted.database == have.database && wanted.plugin == have.plugin);
}

namespace {
bool attribute_matches(const std::optional<std::string>& want, std::string_view have) {
  return !want || want->empty() || *want == have;
}
} // namespace

bool matches(const ignore_matcher& m, const local_slot& slot) {
  return attribute_matches(m.name, slot.name) && attribute_matches(m.database, slot.database) &&
         attribute_matches(m.plugin, slot.plugin) && attribute_matches(m.type, to_string(slot.type));
}

bool is_ignored(const std::vector<ignore_matcher>& ignore_slots, const local_slot& slot) {
  for (const auto& m : ignore_slots)
    if (matches(m, slot))
      return true;
  return false;
}

slot_positions positions_of(const slot_cache& slots,
                            const std::optional<std::pair<std::string, pg::lsn>>& own) {
  slot_positions out;
  for (const auto& [name, slot] : slots) {
    auto pos = position_of(slot);
    if (pos && !pos->is_zero())
      out.emplace(name, *pos);
  }
  if (own)
    out.insert_or_assign(own->first, own->second);
  return out;
}

} // namespace slotd::model
