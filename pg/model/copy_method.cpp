#include "pg/model/copy_method.hpp"

#include <string>

namespace slotd::model {

std::string_view to_string(copy_method_setting s) {
  switch (s) {
  case copy_method_setting::automatic:
    return "auto";
  case copy_method_setting::file:
    return "file";
  case copy_method_setting::create:
    return "create";
  }
  return "?";
}

std::string_view to_string(copy_method m) { return m == copy_method::create ? "create" : "file"; }

leader_slot_use_verdict leader_slot_use_of(const local_slot& leader_slot, const std::deque<position_seen>* history,
                                           std::chrono::milliseconds patience) {
  if (!leader_slot.confirmed_flush_lsn)
    return {leader_slot_use::unused, {}}; // being created there: nothing to watch yet (a copy fails and backs off)
  if (history == nullptr || history->empty())
    return {leader_slot_use::undecided, patience}; // no position sampled yet
  auto still = std::chrono::duration_cast<std::chrono::milliseconds>(history->back().last - history->back().first);
  if (still >= patience)
    return {leader_slot_use::unused, {}}; // whoever holds it, nobody confirmed for that long
  if (history->size() > 1)
    return {leader_slot_use::consumed, {}};
  return {leader_slot_use::undecided, patience - still};
}

copy_method_choice choose_copy_method(copy_method_setting setting, int server_major, leader_slot_use use) {
  if (server_major <= 0)
    return {std::nullopt, "the local server's major is not known yet"};
  switch (setting) {
  case copy_method_setting::file:
    return {copy_method::file, ""};
  case copy_method_setting::create:
    if (server_major < 16)
      return {std::nullopt, "postgresql.copy_method create needs PostgreSQL 16 or later (logical decoding on a "
                            "standby); this server is " +
                                std::to_string(server_major) + ": use file or auto"};
    return {copy_method::create, ""};
  case copy_method_setting::automatic:
    if (server_major != 16 || use == leader_slot_use::unused)
      return {copy_method::file, ""};
    if (use == leader_slot_use::consumed)
      return {copy_method::create, ""};
    return {std::nullopt, "", true};
  }
  return {std::nullopt, "unknown copy method"};
}

std::optional<std::string> copy_ahead_of_leader(const std::string& name, const local_slot& copy,
                                                const slot_positions& leader) {
  auto it = leader.find(name);
  if (it == leader.end() || !copy.confirmed_flush_lsn || !(it->second < *copy.confirmed_flush_lsn))
    return std::nullopt;
  return "ahead of the leader's slot: its confirmed_flush_lsn " + copy.confirmed_flush_lsn->str() +
         " is past the leader's " + it->second.str() +
         " (a consumer resuming here could skip changes); ready once the leader's slot passes it";
}

} // namespace slotd::model
