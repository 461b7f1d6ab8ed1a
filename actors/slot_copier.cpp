// slot_copier: copies logical slots from the leader into the local replica.
// It fetches the state files over the leader connection, validates them
// before anything is stopped, writes a durable intent record, stops the
// server, installs the files and makes sure the server runs again: whatever
// the stop or start commands answer, the truth is the data directory's
// postmaster.pid, and a start that does not bring the server up is retried
// with backoff until it does. An agent killed between the stop and the
// start finds the intent record at its next start and starts the server.
#include <algorithm>
#include <atomic>
#include <deque>
#include <memory>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <spdlog/spdlog.h>

#include "actors/json_text.hpp"
#include "actors/io_bridge.hpp"
#include "actors/copier_state.hpp"
#include "pg/server/copy_restart.hpp"
#include "pg/slotfile/copy_intent.hpp"
#include "pg/slotfile/copy_selection.hpp"

namespace slotd::actors {

std::string to_string(copy_phase p) {
  switch (p) {
  case copy_phase::idle:
    return "idle";
  case copy_phase::fetching:
    return "fetching";
  case copy_phase::restarting:
    return "restarting";
  case copy_phase::server_down:
    return "server_down";
  }
  return "?";
}

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
namespace asio = boost::asio;
namespace srv = pg::server;
namespace sf = pg::slotfile;

using srv::restart_outcome;
using namespace copier;


void on_restarted(self_ptr self, restart_outcome o) {
  auto& st = self->state;
  auto& c = st.current;
  c.finished = true;
  c.stopped = o.stopped;
  c.cancelled = o.cancelled;
  c.installed = o.installed;
  c.start_attempts = o.start_attempts;
  c.stop_ms = o.stop_ms;
  c.install_ms = o.install_ms;
  c.start_ms = o.start_ms;
  if (!o.error.empty())
    c.error += (c.error.empty() ? "" : "; ") + o.error;
  if (o.stopped) {
    ++st.counts.restarts;
    for (auto& n : o.installed)
      ++st.counts.restarts_by_slot[n];
    nlohmann::json why = nlohmann::json::object();
    for (auto& [slot, cause] : st.causes)
      why[slot] = cause;
    st.restart_log.push_back({{"at", iso_time(c.started_at)},
                              {"slots", c.slots},
                              {"installed", o.installed},
                              {"causes", std::move(why)},
                              {"stop_ms", o.stop_ms.count()},
                              {"install_ms", o.install_ms.count()},
                              {"start_ms", o.start_ms.count()}});
    if (st.restart_log.size() > restart_log_size)
      st.restart_log.pop_front();
  }
  st.counts.copies += o.installed.size();
  st.last = fmt::format("{}: {} (stop {} ms, install {} ms, start {} ms, {} start attempt(s)){}",
                        fmt::join(c.slots, ", "), o.installed.empty() ? "not installed" : "installed",
                        o.stop_ms.count(), o.install_ms.count(), o.start_ms.count(), o.start_attempts,
                        c.error.empty() ? "" : ": " + c.error);
  if (o.cancelled)
    log_slots()->info("copy of logical slot(s) {}: {}", fmt::join(c.slots, ", "), c.error);
  else if (c.error.empty())
    log_slots()->info("copied logical slot(s) {}: stop {} ms, install {} ms, start {} ms", fmt::join(c.slots, ", "),
                      o.stop_ms.count(), o.install_ms.count(), o.start_ms.count());
  else {
    ++st.counts.failures;
    log_slots()->error("copy of logical slot(s) {}: {}", fmt::join(c.slots, ", "), c.error);
  }
  if (o.running) {
    c.phase = copy_phase::idle;
    report(self);
    answer_drains(self);
    return;
  }
  c.phase = copy_phase::server_down;
  report(self);
  if (!st.draining)
    log_slots()->error("the local server is down after a slot copy: starting it again with backoff");
  // The restart's own start attempts count as made after a shutdown that
  // came during it.
  after_failed_start(self, true);
}

// The copy ends before any stop: nothing was touched.
void give_up(self_ptr self, std::string why, bool failure = true) {
  auto& st = self->state;
  if (failure)
    ++st.counts.failures;
  st.current.phase = copy_phase::idle;
  st.current.finished = true;
  st.current.error = std::move(why);
  if (failure)
    log_slots()->error("copy of logical slot(s) {}: {}", fmt::join(st.current.slots, ", "), st.current.error);
  else
    log_slots()->info("copy of logical slot(s) {}: {}", fmt::join(st.current.slots, ", "), st.current.error);
  report(self);
  answer_drains(self);
}

bool cancelled(self_ptr self) {
  auto& st = self->state;
  if (!st.cancelled && st.current.phase == copy_phase::fetching)
    return false;
  st.current.cancelled = true;
  give_up(self, "cancelled before the server was stopped", false);
  return true;
}

// Last step before the stop: the prerequisites, from SQL on both servers.
void on_local_facts(self_ptr self, std::vector<wanted_copy> wanted, std::vector<sf::state_file> files,
                    model::node_facts leader, local_facts& local) {
  auto& st = self->state;
  if (cancelled(self))
    return;
  if (!local.ok)
    return give_up(self, "cannot read the local server's settings before the stop: " + local.error);
  std::vector<model::copy_candidate> candidates;
  for (auto& f : files)
    for (auto& w : wanted)
      if (w.name == f.name)
        candidates.push_back({w.name, w.database});
  auto verdict = model::check_copy_prerequisites(local.facts, leader, candidates);
  for (auto& r : verdict.refused) {
    log_slots()->error("will not copy logical slot {}", model::to_string(r));
    st.current.refused.push_back(r);
  }
  if (!verdict.blocking.empty())
    return give_up(self, fmt::format("not stopping the server: {}", fmt::join(verdict.blocking, "; ")));
  std::erase_if(files, [&](const sf::state_file& f) {
    return std::find(verdict.allowed.begin(), verdict.allowed.end(), f.name) == verdict.allowed.end();
  });
  if (files.empty())
    return give_up(self, "not stopping the server: " + model::joined(verdict.refused));
  st.current.phase = copy_phase::restarting;
  report(self);
  auto settings = st.settings;
  auto* pool = &st.io->blocking_pool();
  std::vector<std::string> recopies;
  for (auto& f : files)
    if (std::find(st.recopies.begin(), st.recopies.end(), f.name) != st.recopies.end())
      recopies.push_back(f.name);
  st.cancel_stop = std::make_shared<std::atomic<bool>>(false);
  std::function<asio::awaitable<restart_outcome>()> work = [pool, settings, files = std::move(files), recopies,
                                                            cancel = st.cancel_stop]() {
    return srv::restart_with_slot_files(*pool, settings.server, settings.state_dir, files, recopies, cancel);
  };
  on_io<restart_outcome>(*st.io, self, std::move(work), [self](restart_outcome o) { on_restarted(self, std::move(o)); });
}

void on_fetched(self_ptr self, std::vector<wanted_copy> wanted, fetched_slot_files& f) {
  auto& st = self->state;
  if (cancelled(self))
    return;
  if (!f.ok)
    return give_up(self, "cannot read the slot files from the leader: " + f.error);
  auto sel = sf::select_copy_files(wanted, f.files);
  st.current.refused = sel.refused;
  for (auto& r : sel.refused)
    log_slots()->warn("will not copy logical slot {}", model::to_string(r));
  if (sel.files.empty())
    return give_up(self, "nothing to install: " + model::joined(sel.refused));
  for (auto& file : sel.files)
    if (file.snapshot.empty())
      log_slots()->info("logical slot {}: no decoding snapshot at its restart_lsn on the leader, where it has "
                        "not moved since its creation (decoding there needs none)", file.name);
  auto leader = f.leader;
  self->request(st.local, st.settings.fetch_timeout, facts_atom_v)
      .then(
          [self, wanted, files = std::move(sel.files), leader](local_facts& l) {
            on_local_facts(self, wanted, files, leader, l);
          },
          [self](caf::error& e) {
            give_up(self, "the local connection did not answer before the stop: " + caf::to_string(e));
          });
}

void on_order(self_ptr self, copy_order& order) {
  auto& st = self->state;
  if (st.current.phase != copy_phase::idle || order.slots.empty() || st.draining)
    return; // one copy at a time; the HA loop plans again
  st.cancelled = false;
  st.recopies = order.recopies;
  st.current = copy_report{};
  st.current.phase = copy_phase::fetching;
  st.current.started_at = wall_clock::now();
  std::vector<std::string> names;
  for (auto& w : order.slots)
    st.current.slots.push_back(w.name);
  names = st.current.slots;
  st.causes = order.causes;
  std::vector<std::string> why;
  for (auto& n : names)
    if (auto it = order.causes.find(n); it != order.causes.end())
      why.push_back(n + ": " + it->second);
  if (!st.creating.empty()) {
    // A creation's backend would be killed by the stop; the HA loop orders
    // no file copy while one runs, and plans again after this answer.
    st.current.cancelled = true;
    return give_up(self, fmt::format("not now: logical slot(s) {} being created on this replica",
                                     fmt::join(st.creating, ", ")),
                   false);
  }
  log_slots()->info("copying logical slot(s) {} from leader {}{}", fmt::join(names, ", "), order.leader.value_or("?"),
                    why.empty() ? "" : fmt::format(" ({})", fmt::join(why, "; ")));
  report(self);
  auto wanted = order.slots;
  self->request(st.leader, st.settings.fetch_timeout, fetch_slot_files{names})
      .then([self, wanted](fetched_slot_files& f) { on_fetched(self, wanted, f); },
            [self, wanted](caf::error& e) {
              fetched_slot_files f;
              f.error = caf::to_string(e);
              on_fetched(self, wanted, f);
            });
}

// Drops the copy under way if it has not stopped the server yet: while it
// fetches, or while its files are staged (read right before the stop).
void cancel_before_stop(self_ptr self) {
  auto& st = self->state;
  if (st.current.phase == copy_phase::fetching)
    st.cancelled = true;
  else if (st.current.phase == copy_phase::restarting && st.cancel_stop)
    st.cancel_stop->store(true);
}

} // namespace

void copier::record_recopies(self_ptr self, std::vector<std::string> slots) {
  auto& st = self->state;
  auto* pool = &st.io->blocking_pool();
  auto dir = st.settings.state_dir;
  std::function<asio::awaitable<std::string>()> work = [pool, dir, slots]() {
    return srv::record_recopies_now(*pool, dir, slots);
  };
  on_io<std::string>(*st.io, self, std::move(work), [slots, dir](std::string error) {
    if (!error.empty())
      log_slots()->error("cannot record the re-copies of {} in {}: {}", fmt::join(slots, ", "), dir.string(), error);
  });
}

namespace {

// At start: a copy record left by an agent that died between a stop and a
// start. The install is crash-safe (each slot directory is replaced in one
// step), so what is left to do is to make sure the server runs.
void recover(self_ptr self) {
  auto& st = self->state;
  // The re-copy limit's history survives restarts (small file, read once).
  if (auto h = sf::read_recopy_history(st.settings.state_dir); !h) {
    log_slots()->error("cannot read the re-copy history: {}", h.error().what());
  } else if (!h->empty()) {
    copy_report r;
    for (auto& [slot, times] : *h)
      for (auto t : times)
        r.recopy_history[slot].push_back(wall_clock::time_point{std::chrono::seconds(t)});
    self->send(st.ha, std::move(r));
  }
  auto intent = sf::read_copy_intent(st.settings.state_dir);
  if (!intent) {
    log_slots()->error("cannot read the copy intent record: {}", intent.error().what());
    return;
  }
  if (!*intent)
    return;
  auto& i = **intent;
  log_slots()->warn("a copy of slot(s) {} was interrupted (agent pid {}, phase {}): making sure the server runs",
                    fmt::join(i.slots, ", "), i.pid, i.phase);
  st.current = copy_report{};
  st.current.phase = copy_phase::server_down;
  st.current.slots = i.slots;
  st.current.started_at = wall_clock::time_point{std::chrono::seconds(i.started)};
  st.current.finished = true;
  st.current.error = "recovering an interrupted copy";
  report(self);
  retry_start(self, srv::copy_start_attempts);
}

slot_copier_private::behavior_type slot_copier(self_ptr self, io_runtime* io, copier_settings settings,
                                               local_connection_actor local, leader_connection_actor leader,
                                               ha_loop_actor ha) {
  auto& st = self->state;
  st.io = io;
  st.settings = std::move(settings);
  st.local = local;
  st.leader = leader;
  st.ha = ha;
  self->monitor(ha); // ends with the HA loop
  self->set_down_handler([self](caf::down_msg&) { self->quit(); });
  recover(self);
  return {
      [=](io_done& d) { d.run(); },
      [=](copy_order& o) { on_order(self, o); },
      [=](create_order& o) { on_create_order(self, o); },
      [=](cancel_atom) {
        cancel_before_stop(self);
      },
      [=](retry_atom, std::uint64_t epoch) {
        auto& s = self->state;
        if (epoch == s.epoch && s.current.phase == copy_phase::server_down && !s.starting)
          retry_start(self, 1);
      },
      [=](stop_atom) -> caf::result<bool> {
        self->state.draining = true;
        cancel_before_stop(self);
        return on_shutdown(self);
      },
      [=](dump_atom) -> dump_reply {
        auto& s = self->state;
        nlohmann::json j = {{"phase", to_string(s.current.phase)},
                            {"slots", s.current.slots},
                            {"state_dir", s.settings.state_dir.string()},
                            {"slots_copied", s.counts.copies},
                            {"created", s.counts.created},
                            {"creating", s.creating},
                            {"restarts", s.counts.restarts},
                            {"restarts_by_slot", s.counts.restarts_by_slot},
                            {"failures", s.counts.failures},
                            {"start_retries", s.start_retries},
                            {"start_attempts", s.current.start_attempts},
                            {"error", s.current.error},
                            {"last_copy", s.last},
                            {"restart_log", s.restart_log}};
        return {"slot_copier", std::move(j)};
      },
  };
}

} // namespace

slot_copier_actor spawn_slot_copier(caf::actor_system& sys, io_runtime& io, copier_settings settings,
                                    local_connection_actor local, leader_connection_actor leader, ha_loop_actor ha) {
  return caf::actor_cast<slot_copier_actor>(sys.spawn(slot_copier, &io, std::move(settings), local, leader, ha));
}

} // namespace slotd::actors

namespace slotd::actors {

copier_settings copier_settings_from(const ha_settings& s) {
  auto& pgc = s.cfg.postgresql;
  copier_settings c;
  auto data = std::filesystem::path(pgc.data_dir).lexically_normal();
  if (data.filename().empty())
    data = data.parent_path(); // "/x/main/"
  c.server.bin_dir = pgc.bin_dir;
  c.server.data_dir = data;
  // The server's output must not go to our pipe (the postmaster would keep
  // it open): it goes next to the data directory.
  c.server.log_file = data.parent_path() / (data.filename().string() + ".log");
  c.server.stop_command = pgc.stop_command;
  c.server.start_command = pgc.start_command;
  c.server.run_as = s.run_as;
  c.server.stop_timeout = std::chrono::seconds(300);
  c.server.start_timeout = std::chrono::seconds(300);
  c.state_dir = s.cfg.state_dir.empty() ? std::filesystem::path(data.string() + ".slotd")
                                        : std::filesystem::path(s.cfg.state_dir);
  return c;
}

} // namespace slotd::actors
