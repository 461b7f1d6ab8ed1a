#pragma once
// Role auto (`role: auto`): until the HA manager says otherwise, the local
// server says. Out of recovery: primary. In recovery: the replica of the
// member whose host and port its WAL receiver streams from. A replica found
// this way is looked at again on every snapshot until a message comes:
// right after a start the WAL receiver may not be connected yet, and the HA
// manager may re-point the server before it tells slotd.
#include <map>
#include <optional>
#include <string>

#include "pg/model/cluster_view.hpp"
#include "pg/model/role.hpp"

namespace slotd::model {

// The member a WAL receiver connected to host:port streams from.
std::optional<std::string> member_streamed_from(const std::map<std::string, member>& members,
                                                const std::optional<std::string>& sender_host,
                                                std::optional<int> sender_port);

struct auto_role_input {
  bool role_auto = true;              // the configuration says role: auto
  std::optional<told_role> told;      // the role in force, if any
  bool told_by_auto = false;          // ... and it came from this rule, not a message
  std::optional<std::string> leader;  // the leader in force
  bool in_recovery = true;
  std::optional<std::string> streams_from; // member_streamed_from(...)
};

enum class auto_role_action {
  keep,           // nothing to change
  act_as_primary, // not in recovery
  act_as_replica, // in recovery: replica of `leader` (nullopt: of no known member yet)
  follow,         // an inferred replica that now streams from another member
};

struct auto_role_decision {
  auto_role_action action = auto_role_action::keep;
  std::optional<std::string> leader;
  friend bool operator==(const auto_role_decision&, const auto_role_decision&) = default;
};

auto_role_decision infer_auto_role(const auto_role_input& in);

} // namespace slotd::model
