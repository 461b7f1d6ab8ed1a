#pragma once
// docs/slot-rules.md §1.6: when a replica's copies must all prove their
// safety again (the readiness queue rebuilt). Advances on a standby are
// persisted only at restartpoints, so a restarted standby's slots may be
// back at older positions; a new leader has other positions and another
// catalog_xmin; a resume ends a spell in which nothing was watched.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace slotd::model {

// The facts whose change starts a re-check, as the HA loop last saw them.
struct recheck_facts {
  std::string server_started_at;     // pg_postmaster_start_time() of the local server
  std::optional<std::string> leader; // the leader this node follows
  std::uint64_t demotes = 0;         // POST /demote orders received
  std::uint64_t resumes = 0;         // POST /resume orders received
  friend bool operator==(const recheck_facts&, const recheck_facts&) = default;
};

enum class recheck_reason { none, agent_start, server_started, new_leader, demote, resume };
std::string_view to_string(recheck_reason r);

// Why the readiness queue is rebuilt now: the agent's first look (`last`
// none), else the first fact that changed in the order above; none when
// nothing did.
recheck_reason readiness_recheck(const std::optional<recheck_facts>& last, const recheck_facts& now);

} // namespace slotd::model
