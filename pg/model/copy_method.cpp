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

copy_method_choice choose_copy_method(copy_method_setting setting, int server_major, bool leader_slot_active) {
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
    return {server_major == 16 && leader_slot_active ? copy_method::create : copy_method::file, ""};
  }
  return {std::nullopt, "unknown copy method"};
}

bool leader_slot_consumed(const local_slot& leader_slot, std::size_t positions_seen) {
  return leader_slot.active && leader_slot.confirmed_flush_lsn.has_value() && positions_seen > 1;
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
