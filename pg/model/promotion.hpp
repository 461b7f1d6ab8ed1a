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

// GET /final-positions on a stopped old primary: each logical slot's last
// confirmed_flush_lsn. The state files a clean shutdown leaves are exact for
// consumers of the SQL interface on every major, and for all consumers on
// 17+ (the shutdown checkpoint writes a slot whose confirmed_flush moved);
// on 12-16 a position only a walsender's consumer confirmed is not written,
// so the agent's last live sample counts where it is higher.
struct final_position {
  pg::lsn confirmed_flush;
  std::optional<pg::lsn> restart_lsn;
  bool from_sample = false; // the live sample was higher than the file
  friend bool operator==(const final_position&, const final_position&) = default;
};
using final_positions = std::map<std::string, final_position>;
final_positions merge_final_positions(const final_positions& files, const slot_cache& last_sample);

// A promote with handover_from: the old leader's positions the final
// advance aims at: its last sampled slots, each raised to the handed-over
// position where that is higher (never lowered: both are positions the
// consumer confirmed). Which local copies got a handed-over position and
// which only a sampled one.
struct handover_targets {
  std::optional<slot_cache> leader_slots;
  std::vector<std::string> handed_over;
  std::vector<std::string> from_samples;
  friend bool operator==(const handover_targets&, const handover_targets&) = default;
};
handover_targets apply_handover(const slot_cache& local, const std::optional<slot_cache>& sampled,
                                const std::optional<std::map<std::string, pg::lsn>>& handed);

// The promote reply: the desired logical slots judged as GET /readiness
// judges them (the two never disagree), and the other local logical slots
// (created by hand, not desired): ready unless still unproven.
struct promote_verdict {
  std::vector<std::string> ready;
  std::vector<std::string> unsafe;
  std::map<std::string, std::string> reasons; // unsafe desired slot → why
  friend bool operator==(const promote_verdict&, const promote_verdict&) = default;
};
// `leader`: the leader slots' positions the final advance went to (a copy
// still ahead of them is unsafe: copy_ahead_of_leader). `protection_gap`
// (17+, standby_protection_gap before the promote): when set, every desired
// failover slot is unsafe for that reason (its consumers may have changes
// this node lacks).
promote_verdict judge_promotion(const desired_set& desired, const slot_cache& local, const readiness_queue& queue,
                                int server_major, const std::vector<failover_slot_state>& failover_slots,
                                const slot_positions& leader, const std::string& protection_gap = "");

} // namespace slotd::model
