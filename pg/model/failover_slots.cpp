#include "pg/model/failover_slots.hpp"

#include <algorithm>
#include <set>

#include "pg/model/topology.hpp"
#include "pg/model/version_gates.hpp"

namespace slotd::model {

bool has_failover_permanent_slots(const cluster_view& view) {
  return std::any_of(view.slots.begin(), view.slots.end(), [](const auto& kv) {
    return kv.second.type == slot_type::logical && kv.second.failover;
  });
}

std::vector<std::string> missing_sync_prerequisites(const standby_sync_settings& s) {
  std::vector<std::string> out;
  if (s.sync_replication_slots != true)
    out.emplace_back("sync_replication_slots");
  if (s.hot_standby_feedback != true)
    out.emplace_back("hot_standby_feedback");
  if (s.primary_slot_name.empty())
    out.emplace_back("primary_slot_name");
  if (s.primary_conninfo_dbname.empty())
    out.emplace_back("primary_conninfo.dbname");
  return out;
}

bool is_failover_slot_ready(const failover_slot_state& s) {
  return s.synced && !s.temporary && !s.invalidation_reason;
}

std::vector<std::string> synchronized_standby_slot_names(const cluster_view& view, std::string_view my_name) {
  std::set<std::string> names;
  if (!view.use_slots)
    return {};
  const std::optional<std::string> me{std::string(my_name)};
  for (const auto& [name, m] : view.members) {
    if (name == my_name || m.tags.nofailover)
      continue;
    auto own = slot_name_from_member_name(name);
    // Streams from me through its own slot: not nostream (nullopt), not a
    // cascade below another replica (that replica's slot).
    if (get_slot_name_on_primary(view, name, me) != own)
      continue;
    if (is_valid_slot_name(own) && own != slot_name_from_member_name(my_name))
      names.insert(own);
  }
  return {names.begin(), names.end()};
}

std::string synchronized_standby_slots_value(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names)
    out += (out.empty() ? "" : ",") + n;
  return out;
}

namespace {

// "a, b,c" → {a, b, c}: PostgreSQL accepts spaces after the commas.
std::set<std::string> parse_list(std::string_view value) {
  std::set<std::string> out;
  std::string item;
  auto flush = [&] {
    if (!item.empty())
      out.insert(item);
    item.clear();
  };
  for (char c : value) {
    if (c == ',')
      flush();
    else if (c != ' ' && c != '"')
      item += c;
  }
  flush();
  return out;
}

} // namespace

std::optional<std::vector<std::string>> synchronized_standby_slots_change(const cluster_view& view, std::string_view my_name,
                                                             int server_major,
                                                             const std::optional<std::string>& current) {
  if (!has_failover_slots(server_major) || !has_failover_permanent_slots(view) || !current)
    return std::nullopt;
  auto names = synchronized_standby_slot_names(view, my_name);
  if (parse_list(*current) == std::set<std::string>(names.begin(), names.end()))
    return std::nullopt;
  return names;
}

} // namespace slotd::model
