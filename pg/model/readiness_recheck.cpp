#include "pg/model/readiness_recheck.hpp"

namespace slotd::model {

std::string_view to_string(recheck_reason r) {
  switch (r) {
  case recheck_reason::none: return "none";
  case recheck_reason::agent_start: return "the agent started";
  case recheck_reason::server_started: return "the local server (re)started";
  case recheck_reason::new_leader: return "another leader";
  case recheck_reason::demote: return "a demote";
  case recheck_reason::resume: return "a resume";
  }
  return "unknown";
}

recheck_reason readiness_recheck(const std::optional<recheck_facts>& last, const recheck_facts& now) {
  if (!last)
    return recheck_reason::agent_start;
  if (now.server_started_at != last->server_started_at)
    return recheck_reason::server_started;
  if (now.leader != last->leader)
    return recheck_reason::new_leader;
  if (now.demotes != last->demotes)
    return recheck_reason::demote;
  if (now.resumes != last->resumes)
    return recheck_reason::resume;
  return recheck_reason::none;
}

} // namespace slotd::model
