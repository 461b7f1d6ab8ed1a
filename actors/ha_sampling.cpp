// The HA loop's samples of its leader between full cycles
// (pg/model/sampling.hpp), and the scheduling of its ticks.
#include <optional>

#include <caf/actor_cast.hpp>
#include <caf/actor_control_block.hpp>
#include <caf/send.hpp>

#include "actors/ha_steps.hpp"
#include "actors/probe_thread.hpp"
#include "pg/model/sampling.hpp"
#include "pg/model/topology.hpp"
#include "pg/model/wal_guard.hpp"
#include "pg/server/disk_space.hpp"

namespace slotd::actors::ha {

// A replica that knows its leader samples it between full cycles.
bool samples_leader(const ha_state& st) {
  return st.told == model::told_role::replica && st.leader.has_value();
}

void schedule_next_tick(self_ptr self) {
  auto& st = self->state;
  auto now = ha_now(st);
  auto next_full = st.full_cycle_due ? now : st.last_full_cycle + st.settings.cfg.loop_wait;
  std::optional<std::chrono::milliseconds> sample;
  if (samples_leader(st))
    sample = st.sample_delay;
  auto delay = model::next_tick_delay(now, next_full, st.copy_due_at, sample);
  self->delayed_send(self, delay, tick_atom_v, ++st.epoch);
}

bool slot_details_wanted(const ha_state& st) {
  return st.local_error.empty() && !st.restarting && !st.copying && !st.server_down && !st.promote_in_progress;
}

void take_slot_details(ha_state& s, slot_details_reply r) {
  s.slot_details = std::move(r);
  if (s.slot_details.ok)
    model::record_wal_usage(s.wal_usage, slot_figures_of(s), ha_now(s));
  else
    s.wal_usage = {};
}

// Free space on pg_wal's file system, measured on the probe thread
// (actors/probe_thread.hpp): a hung file system (pg_wal on its own mount)
// must hold neither the loop nor the blocking pool that copies and handovers
// write through. One probe at a time; one that has not answered for 10 s is
// reported (and left to finish whenever statvfs returns).
void read_wal_space(self_ptr self) {
  auto& st = self->state;
  const auto& data_dir = st.settings.cfg.postgresql.data_dir;
  if (data_dir.empty()) {
    st.wal_free_error = "postgresql.data_dir is not set";
    return;
  }
  auto now = ha_now(st);
  if (st.wal_space_since) {
    auto waited = std::chrono::duration_cast<std::chrono::seconds>(now - *st.wal_space_since).count();
    if (waited >= 10) {
      st.wal_free_bytes.reset();
      st.wal_free_error = "statvfs of pg_wal has not answered for " + std::to_string(waited) + " s";
    }
    return;
  }
  // Timed by the cycle's start, which steps by loop_wait or more (the end
  // moves with each cycle's duration: at loop_wait 10 s, a probe due "10 s
  // after the last end" would miss cycles at random).
  if (!model::wal_free_probe_due(st.wal_space_probed_at, st.tick_started))
    return;
  auto path = std::filesystem::path(data_dir) / "pg_wal";
  auto probe = [path, self, weak = caf::weak_actor_ptr{self->ctrl()}] {
    std::optional<std::uint64_t> bytes;
    std::string error;
    try {
      auto r = pg::server::free_bytes_at(path);
      if (r)
        bytes = *r;
      else
        error = r.error().what();
    } catch (const std::exception& e) {
      error = e.what(); // answered all the same: the next probe may run
    } catch (...) {
      error = "statvfs of pg_wal failed";
    }
    // `self` is only used by the closure, which the HA loop runs itself
    // (io_done), so only while it lives.
    if (auto strong = weak.lock())
      caf::anon_send(caf::actor_cast<caf::actor>(strong), io_done{[self, bytes, error] {
                       auto& s = self->state;
                       s.wal_space_since.reset();
                       s.wal_free_bytes = bytes;
                       s.wal_free_error = error;
                     }});
  };
  if (st.settings.spawners.probe)
    st.settings.spawners.probe(std::move(probe));
  else
    run_probe(std::move(probe));
  st.wal_space_since = now; // once queued (run_probe may throw: then none is outstanding)
  st.wal_space_probed_at = st.tick_started;
  ++st.wal_space_probes;
}

// A leader sample for a request the leader connection did not answer.
leader_snapshot no_answer(const ha_state& st, const caf::error& e) {
  leader_snapshot ls;
  ls.leader = st.leader.value_or("");
  ls.error = "no answer from the leader connection: " + caf::to_string(e);
  return ls;
}

// Takes a leader sample (of a full cycle or between cycles) and paces the
// next one. Returns whether the leader's logical slots moved.
bool take_leader_sample(self_ptr self, leader_snapshot ls) {
  auto& s = self->state;
  bool moved = false;
  bool proof_input_moved = false;
  // A leader that stopped answering right after a move (a crash) is not
  // sampled fast for the hold: the usual back-off.
  const bool ls_reachable = ls.reachable;
  if (ls.reachable) {
    if (!s.leader_error.empty())
      log_ha()->info("leader {} reachable again", ls.leader);
    s.leader_error.clear();
    moved = !s.leader_snap || s.leader_snap->leader != ls.leader ||
            model::logical_slots_moved(s.leader_snap->slots, ls.slots);
    if (!s.readiness.pending.empty() && s.leader_snap && s.leader_snap->leader == ls.leader)
      if (auto phys = model::get_slot_name_on_primary(s.view, s.my_name(), s.leader))
        proof_input_moved = model::catalog_xmin_moved(s.leader_snap->slots, ls.slots, *phys);
    model::record_leader_positions(s.leader_positions, ls.leader, ls.slots, ls.as_of);
    s.leader_snap = std::move(ls);
    s.leader_answered_at = ha_now(s);
    observe_streaming(s);
  } else {
    if (s.leader_error.empty() || should_log(s, "leader-down"))
      log_ha()->warn("leader {} unreachable: {}", ls.leader, ls.error);
    s.leader_error = ls.error.empty() ? "unreachable" : ls.error;
  }
  ++s.samples;
  if (moved) {
    ++s.samples_moved;
    s.leader_moved_at = ha_now(s);
  }
  // Copies still to be proven safe wait on the leader's catalog_xmin, and
  // copies behind the leader wait for their advance: fast while either may
  // change soon (model::sample_fast).
  model::sample_pace_input pace{
      .leader_moved = moved,
      .since_leader_moved = ls_reachable && s.leader_moved_at ? std::optional(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                    ha_now(s) - *s.leader_moved_at))
                                              : std::nullopt,
      .creating = !s.creating.empty(),
      .copies_behind = s.copies_behind,
      .newest_proof_wait = model::newest_proof_wait<decltype(s.readiness.pending), wall_clock>(
          s.readiness.pending, s.pending_since, wall_clock::now()),
      .own_physical_catalog_xmin_moved = proof_input_moved};
  s.sample_delay = model::next_sample_delay(s.sample_delay, model::sample_fast(pace), s.settings.sampling);
  return moved;
}

} // namespace slotd::actors::ha
