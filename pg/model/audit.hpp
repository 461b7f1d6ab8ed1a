#pragma once
// The audit trail (docs/operations.md, "Audit trail"): every change slotd
// makes, one event each, kept in a bounded ring (GET /events) and written as
// a JSON line to log.audit_file. Advances are summarised: at most one event
// per slot per minute, unless one jump exceeds a threshold.
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pg/model/slot_plan.hpp"
#include "pg/types/lsn.hpp"

namespace slotd::model {

enum class audit_action {
  create,               // a slot created (on a primary, or a physical slot anywhere)
  drop,                 // a slot dropped
  copy,                 // a leader's logical slot copied here (file or creation)
  advance,              // a slot moved forward (summarised)
  restart,              // the local server stopped and started for a copy
  promote,              // told primary
  demote,               // told to follow a leader
  view_change,          // the cluster view changed (PUT /cluster, SIGHUP)
  standby_slots_change, // 17+: synchronized_standby_slots set
};
std::string_view to_string(audit_action a);

// The rules, named as docs/slot-rules.md names them.
namespace audit_rule {
inline constexpr std::string_view physical_slot = "§2.3.12 Physical slots";
inline constexpr std::string_view logical_on_primary = "§2.3.14 Logical slots on the primary";
inline constexpr std::string_view advance_on_replica = "§4.5 Advancing";
inline constexpr std::string_view physical_advance = "§3.12 Physical slot advance";
inline constexpr std::string_view file_copy = "§2.3.21 Copy";
inline constexpr std::string_view copy_by_creation = "§2.3.24 Copy by creation (16+)";
inline constexpr std::string_view restart_per_burst = "§2.3.21a One restart per burst";
inline constexpr std::string_view promote = "§2.3.23 Promote";
inline constexpr std::string_view demote = "§2.5 HA integration";
inline constexpr std::string_view cluster_view = "§1.4 Cluster view";
inline constexpr std::string_view standby_slots = "§4.8 PostgreSQL 17+ failover slots";
} // namespace audit_rule

// The drop rule behind a drop (§3.13 rule N and its name).
std::string drop_rule(drop_reason r);

struct audit_event {
  std::uint64_t seq = 0; // set by the ring: 1, 2, ... in the order of events
  std::string run;       // this agent run's start time: numbers start again at 1 in each run
  std::chrono::system_clock::time_point at{};
  std::string node;  // this agent's member name
  std::string actor; // the actor that did it: "local_connection", "advance_worker app", "slot_copier", ...
  audit_action action = audit_action::create;
  std::string slot;              // "" for node-wide events (promote, demote, restart, view change)
  std::optional<pg::lsn> before; // the slot's position before (confirmed_flush_lsn, or restart_lsn if physical)
  std::optional<pg::lsn> after;  // and after
  std::string rule;
  std::string detail;
  std::uint64_t advances = 0; // an advance event: how many advances it sums up
};

// The newest `capacity` events, numbered from 1.
class audit_ring {
public:
  explicit audit_ring(std::size_t capacity = 1000) : capacity_(capacity == 0 ? 1 : capacity) {}
  // Numbers `e` and keeps it (the oldest goes when full); returns the kept event.
  const audit_event& add(audit_event e);

  struct page {
    std::vector<audit_event> events; // seq > since, oldest first, at most `max`
    std::uint64_t next = 0;          // the `since` for the next call
    std::uint64_t missed = 0;        // events after `since` no longer kept (the ring overran)
  };
  // A `since` past the last event is from before this agent (re)started:
  // the page starts at this run's first event.
  page since(std::uint64_t since, std::size_t max = 1000) const;
  std::uint64_t last_seq() const { return seq_; }

private:
  std::size_t capacity_;
  std::uint64_t seq_ = 0;
  std::deque<audit_event> events_;
};

// Advances, summarised per slot: the first advance after a quiet interval is
// an event at once; later ones add up until the interval since the slot's
// last event is over (then `due` gives their summary), and one jump of more
// than jump_bytes is an event at once (with what added up before it).
struct advance_summary_policy {
  std::chrono::seconds every{60};
  std::uint64_t jump_bytes = 16ull << 20; // one WAL segment
};

struct advance_summary {
  std::string slot;
  std::optional<pg::lsn> before;
  pg::lsn after;
  std::uint64_t advances = 0;
  bool jump = false;
  std::string rule;
  std::string actor;
};

class advance_digest {
public:
  using time_point = std::chrono::steady_clock::time_point;
  // `actor` moved `slot` from `before` (none: not known) to `after` by
  // `rule`. The summary to record now, if any.
  std::optional<advance_summary> note(const std::string& slot, std::optional<pg::lsn> before, pg::lsn after,
                                      std::string_view rule, std::string_view actor, time_point now,
                                      const advance_summary_policy& p);
  // The summaries whose interval is over.
  std::vector<advance_summary> due(time_point now, const advance_summary_policy& p);
  // A slot gone (dropped, replaced by a copy, advanced by a promote): the
  // summary of what added up, whatever the interval (none if nothing
  // did); the slot starts again.
  std::optional<advance_summary> flush(const std::string& slot, time_point now);
  // Every summary of what added up (at shutdown, a role change).
  std::vector<advance_summary> flush_all(time_point now);
  bool pending() const;

private:
  struct entry {
    std::optional<pg::lsn> before; // of the first advance not yet in an event
    pg::lsn after;
    std::uint64_t advances = 0;    // not yet in an event
    std::string rule, actor;
    std::optional<time_point> last_event;
  };
  static advance_summary take(const std::string& slot, entry& e, bool jump, time_point now);
  std::map<std::string, entry> slots_;
};

// What changed from one cluster view to the next, for the audit line
// ("slots added: a, b; members removed: node3; ignore_slots changed"); ""
// when nothing did.
std::string describe_view_change(const cluster_view& before, const cluster_view& after);

} // namespace slotd::model
