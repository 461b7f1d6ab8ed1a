#pragma once
// The two decisions of a promote (POST /promote), as pure functions:
// - the final advance: how far each local copy moves before the server
//   leaves recovery;
// - the reply: which slots are ready for their consumers after the
//   promotion, and why the others are not.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pg/model/desired_slots.hpp"
#include "pg/model/failover_slots.hpp"
#include "pg/model/local_slot.hpp"
#include "pg/model/readiness.hpp"
#include "pg/types/lsn.hpp"

namespace slotd::model {

// database → slot → target LSN.
using final_advance_targets = std::map<std::string, std::map<std::string, pg::lsn>>;

// The final advance of the local logical copies: each moves to the old
// leader's last known confirmed_flush_lsn, never past what this node has
// replayed (a copy ahead of the replayed WAL cannot be decoded), and only
// forward. No leader sample, or no replay position: nothing moves.
final_advance_targets plan_final_advance(const slot_cache& local, const std::optional<slot_cache>& leader_slots,
                                         std::optional<pg::lsn> replay_lsn);

// The promote reply: the desired logical slots judged as GET /readiness
// judges them (the two never disagree), and the other local logical slots
// (created by hand, not desired): ready unless still unproven.
struct promote_verdict {
  std::vector<std::string> ready;
  std::vector<std::string> unsafe;
  std::map<std::string, std::string> reasons; // unsafe desired slot → why
  friend bool operator==(const promote_verdict&, const promote_verdict&) = default;
};
promote_verdict judge_promotion(const desired_set& desired, const slot_cache& local, const readiness_queue& queue,
                                int server_major, const std::vector<failover_slot_state>& failover_slots);

} // namespace slotd::model
