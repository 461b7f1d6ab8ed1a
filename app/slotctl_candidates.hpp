#pragma once
// slotctl candidate and slotctl candidates (docs/api.md): one node's
// promotion verdict, and every member's, ranked.
#include <optional>
#include <string>
#include <vector>

#include "config/api_url.hpp"

namespace slotd::slotctl {

struct agent_address {
  config::api_url url;
  std::string text; // as given, for messages
  std::optional<std::string> token;
};

// GET /candidate on `agent`: prints the answer; exit 0 when it loses
// nothing, 1 when it does, 3 when there is no answer.
int run_candidate(const agent_address& agent, const std::vector<std::string>& args);

// Asks every member's agent in parallel and ranks the answers
// (pg/model/candidate.hpp rank_candidates). Exit 0 when at least one member
// may be promoted without loss, 1 otherwise.
int run_candidates(const agent_address& agent, const std::vector<std::string>& args);

} // namespace slotd::slotctl
