#pragma once
// The HA loop's steps, shared by its files (internal to actors/):
//   ha_loop.cpp     the actor: its messages, one handler each;
//   ha_cycle.cpp    ticks and full cycles: observe, plan (pg/model), perform;
//   ha_input.cpp    role auto, and the slot model's input for a cycle;
//   ha_sampling.cpp samples of the leader between cycles, the tick schedule;
//   ha_support.cpp  the actors it drives (leader connection, advance
//                   workers, slot copier), the local actions' outcomes;
//   ha_copies.cpp   copies: which and how, the orders to the copier, and
//                   its reports and answers;
//   ha_promote.cpp  POST /promote: the final advance and the verdict.
// Every function runs on the HA loop actor (it takes `self`).
#include <chrono>
#include <memory>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include <caf/duration.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <spdlog/spdlog.h>

#include "actors/ha_state.hpp"

namespace slotd::actors::ha {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using self_ptr = ha_loop_private::stateful_pointer<ha_state>;

inline std::shared_ptr<spdlog::logger> log_ha() { return spdlog::get("ha"); }
inline std::shared_ptr<spdlog::logger> log_slots() { return spdlog::get("slots"); }

// ha_input.cpp
void infer_role(self_ptr self, const local_snapshot& snap); // role auto: the decision, then its effects
bool leader_sample_current(const ha_state& st);             // the last leader sample is of the current leader, answered
model::cycle_input make_input(const ha_state& st, const local_snapshot& snap);

// ha_support.cpp
bool should_log(ha_state& st, const std::string& key, std::chrono::seconds every = 60s);
void record_error(ha_state& st, model::error_kind kind, const std::string& slot, const std::string& text);
void log_diagnostics(ha_state& st, const std::vector<model::diagnostic>& ds);
std::set<std::string> take_local_outcomes(ha_state& s, const local_actions& done,
                                          const std::vector<action_outcome>& outcomes);
void set_leader(self_ptr self, std::optional<std::string> leader);
advance_worker_actor worker_for(self_ptr self, const std::string& database);
void start_copier(self_ptr self);
// members_from: repmgr: the reader of repmgr.nodes, monitored (started
// again when it fails); its first read after `first_read_after`.
void start_members_reader(self_ptr self, std::chrono::milliseconds first_read_after);
void on_worker_down(self_ptr self, caf::down_msg& msg);
void clean_workers(self_ptr self);

// ha_copies.cpp
// Sends a copy order; false when none went (one under way, nothing to copy,
// or the pause after failed copies: then a full cycle is due when it ends).
bool start_copy(self_ptr self, const std::vector<std::string>& names, const std::vector<std::string>& recopies);
// Whether copies of `names` may start now (pg/model/copy_settle.hpp: one
// restart per burst); if not, a full cycle is due when they may.
bool copy_settled(self_ptr self, const std::vector<std::string>& names);
void on_copy_report(self_ptr self, copy_report& r);
// Copies created on this replica (copy_method create), ordered from the copier.
void create_copies(self_ptr self, const std::vector<std::string>& names, const std::vector<std::string>& recopies);
// The copier's answer to one of them.
void on_copy_created(self_ptr self, copy_created& c);
// Forgets the creations whose answer is overdue (their copier ended).
void expire_creations(ha_state& st, steady::time_point now);

// ha_cycle.cpp
void run_tick(self_ptr self);
void run_now(self_ptr self);
// Makes sure a watchdog message is on its way for the outstanding request.
void arm_watchdog(self_ptr self);
// A reply to request `id`: whether it is still awaited (then it no longer is).
bool take_reply(ha_state& st, std::uint64_t id);

// A request of the tick, without a CAF timeout (ha_state::cycle_wait):
// `on_reply(R&)` or `on_error(caf::error&)` runs once, on_error with
// sec::request_timeout when the watchdog gives the request up. The
// continuations live in one shared slot that is emptied when either runs: a
// handler CAF keeps for a request that is never answered (a dropped promise)
// holds nothing else.
template <class R, class Handle, class OnReply, class OnError, class... Ts>
void cycle_request(self_ptr self, const Handle& dest, OnReply on_reply, OnError on_error, Ts&&... xs) {
  auto& st = self->state;
  if (st.waiting) {
    // Not on any path today: a tick sends one request at a time. Were it
    // to happen, this one keeps a CAF timeout rather than hide the other.
    log_ha()->error("a second request of the tick while one is outstanding: it gets its own timeout");
    self->request(dest, st.settings.request_timeout, std::forward<Ts>(xs)...).then(on_reply, on_error);
    return;
  }
  using both = std::pair<OnReply, OnError>;
  auto conts = std::make_shared<std::optional<both>>(both{std::move(on_reply), std::move(on_error)});
  auto take = [conts]() -> std::optional<both> { return std::exchange(*conts, std::nullopt); };
  auto id = ++st.cycle_requests;
  st.waiting = ha_state::cycle_wait{id, ha_now(st), [take](caf::error& e) mutable {
                                      if (auto c = take())
                                        c->second(e);
                                    }};
  arm_watchdog(self);
  self->request(dest, caf::infinite, std::forward<Ts>(xs)...)
      .then(
          [self, id, take](R& r) mutable {
            if (!take_reply(self->state, id))
              return;
            if (auto c = take())
              c->first(r);
          },
          [self, id, take](caf::error& e) mutable {
            if (!take_reply(self->state, id))
              return;
            if (auto c = take())
              c->second(e);
          });
}

// ha_sampling.cpp: samples of the leader and the tick schedule.
bool samples_leader(const ha_state& st); // a replica that knows its leader samples it
void schedule_next_tick(self_ptr self);
// A full cycle's per-slot details for /status and /metrics, and after it
// the free space on pg_wal's file system for the WAL-retention guard.
// Whether a full cycle reads the operator figures with its snapshot: not
// while a copy or a promote may need the local lane, or the server is down
// or did not answer.
bool slot_details_wanted(const ha_state& st);
// The figures read with a full cycle's snapshot, taken when it ends.
void take_slot_details(ha_state& st, slot_details_reply r);
void read_wal_space(self_ptr self);
// A leader sample for a request the leader connection did not answer.
leader_snapshot no_answer(const ha_state& st, const caf::error& e);
// Takes a leader sample (of a full cycle or between cycles) and paces the
// next one. Returns whether the leader's logical slots moved.
bool take_leader_sample(self_ptr self, leader_snapshot ls);

// ha_promote.cpp
void on_promote(self_ptr self, promote_request req, caf::typed_response_promise<promote_reply> rp);

// ha_handover.cpp: GET /final-positions on a stopped old primary, and a
// promote's fetch of them from the old primary's agent.
void on_final_positions(self_ptr self, caf::typed_response_promise<final_positions_reply> rp);
struct handover_fetch {
  std::optional<std::map<std::string, pg::lsn>> positions; // nullopt: none (see error)
  std::string error;
  std::optional<pg::lsn> checkpoint_lsn;
};
void fetch_handover(self_ptr self, const std::string& from, std::chrono::milliseconds timeout,
                    std::function<void(handover_fetch)> done);

} // namespace slotd::actors::ha
