#include "pg/model/auto_role.hpp"

namespace slotd::model {

std::optional<std::string> member_streamed_from(const std::map<std::string, member>& members,
                                                const std::optional<std::string>& sender_host,
                                                std::optional<int> sender_port) {
  if (!sender_host || !sender_port)
    return std::nullopt;
  for (const auto& [name, m] : members)
    if (m.host == *sender_host && m.port == *sender_port)
      return name;
  return std::nullopt;
}

auto_role_decision infer_auto_role(const auto_role_input& in) {
  if (in.told && in.told_by_auto && *in.told == told_role::replica && in.in_recovery) {
    if (in.streams_from && in.streams_from != in.leader)
      return {auto_role_action::follow, in.streams_from};
    return {};
  }
  if (in.told || !in.role_auto)
    return {};
  if (!in.in_recovery)
    return {auto_role_action::act_as_primary, std::nullopt};
  return {auto_role_action::act_as_replica, in.streams_from};
}

} // namespace slotd::model
