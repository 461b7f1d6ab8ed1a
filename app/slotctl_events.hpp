#pragma once
// slotctl events (docs/api.md): the agent's audit trail, one JSON line per
// event; --follow keeps asking for new ones.
#include <string>
#include <vector>

#include "app/slotctl_candidates.hpp"

namespace slotd::slotctl {

int run_events(const agent_address& agent, const std::vector<std::string>& args);

} // namespace slotd::slotctl
