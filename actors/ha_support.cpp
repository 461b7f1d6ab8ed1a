// The HA loop's support: rate-limited logs and the error ring, the leader
// connection's target, the advance workers (one per database) and the slot
// copier, which it monitors and replaces when they fail, and the outcomes of
// the local connection's slot actions.
#include <fstream>

#include <caf/actor_system.hpp>

#include "actors/ha_steps.hpp"
#include "actors/members_reader.hpp"
#include "actors/spawn.hpp"
#include "pg/client/conninfo.hpp"

namespace slotd::actors::ha {

// Repeated messages at most once a minute per key.
bool should_log(ha_state& st, const std::string& key, std::chrono::seconds every) {
  auto now = ha_now(st);
  auto it = st.log_limits.find(key);
  if (it != st.log_limits.end() && now - it->second < every)
    return false;
  st.log_limits[key] = now;
  return true;
}

void record_error(ha_state& st, model::error_kind kind, const std::string& slot, const std::string& text) {
  st.errors.push_back({wall_clock::now(), kind, slot, text});
  while (st.errors.size() > 50)
    st.errors.pop_front();
  ++st.errors_by_kind[kind];
}

void log_diagnostics(ha_state& st, const std::vector<model::diagnostic>& ds) {
  for (auto& d : ds) {
    if (d.code == model::diagnostic_code::slot_ready)
      continue; // logged by update_readiness, with the time since the copy
    if (!should_log(st, d.text))
      continue;
    switch (d.level) {
    case model::severity::info:
      log_slots()->info("{}", d.text);
      break;
    case model::severity::warning:
      log_slots()->warn("{}", d.text);
      break;
    case model::severity::error:
      log_slots()->error("{}", d.text);
      record_error(st, model::error_kind::model, d.slot, d.text);
      break;
    }
  }
}


// ------------------------------------------------------------ leader target

namespace {

std::optional<std::string> read_password_file(const std::string& path) {
  if (path.empty())
    return std::nullopt;
  std::ifstream f(path);
  std::string line;
  if (!f || !std::getline(f, line))
    return std::nullopt;
  while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
    line.pop_back();
  return line;
}

leader_target target_for(const ha_state& st, const std::optional<std::string>& leader) {
  leader_target t;
  if (!leader || *leader == st.my_name())
    return t;
  auto it = st.view.members.find(*leader);
  if (it == st.view.members.end())
    return t;
  std::map<std::string, std::string> over{{"host", it->second.host},
                                          {"port", std::to_string(it->second.port)},
                                          {"hostaddr", ""},
                                          {"service", ""}};
  auto& auth = st.settings.cfg.postgresql.leader_auth;
  if (!auth.user.empty())
    over["user"] = auth.user;
  if (auto pw = read_password_file(auth.password_file))
    over["password"] = *pw;
  auto ci = pg::conninfo_with(st.settings.cfg.postgresql.conninfo, over);
  if (!ci) {
    log_ha()->error("cannot build the leader conninfo: {}", ci.error().what());
    return t;
  }
  t.name = leader;
  t.conninfo = *ci;
  return t;
}

} // namespace

void set_leader(self_ptr self, std::optional<std::string> leader) {
  auto& st = self->state;
  // Another leader: every copy is proven again against it (its positions
  // and catalog_xmin, not the previous leader's). update_readiness compares
  // the leader with the one it last saw (model::readiness_recheck): a
  // change that reverts before the next look is not seen, which is right
  // only because nothing was proven against the other leader meanwhile.
  st.leader = std::move(leader);
  self->send(st.leader_conn, target_for(st, st.leader));
}

// ------------------------------------------------------------------ workers

advance_worker_actor worker_for(self_ptr self, const std::string& database) {
  auto& st = self->state;
  auto it = st.workers.find(database);
  if (it != st.workers.end())
    return it->second;
  pg::connection_options opts;
  opts.conninfo = st.settings.cfg.postgresql.conninfo;
  auto me = caf::actor_cast<ha_loop_actor>(self);
  auto w = st.settings.spawners.worker ? st.settings.spawners.worker(self->system(), database, me)
                                       : spawn_advance_worker(self->system(), *st.io, opts, database, me);
  self->monitor(w);
  st.workers.emplace(database, w);
  log_ha()->info("started the advance worker for database {}", database);
  return w;
}

// The slot copier, monitored like the workers: one that fails is replaced
// (its intent record, if it held the server, makes the new one start it).
void start_members_reader(self_ptr self, std::chrono::milliseconds first_read_after) {
  auto& st = self->state;
  const auto& from = st.settings.cfg.members_from;
  members_reader_settings ms;
  ms.source = from.source;
  ms.conninfo = from.source == config::members_source::pg_auto_failover ? from.monitor
                                                                        : st.settings.cfg.postgresql.conninfo;
  ms.database = from.database;
  ms.formation = from.formation;
  ms.my_name = st.settings.cfg.name;
  ms.api_port = from.api_port;
  ms.interval = st.settings.cfg.loop_wait;
  ms.first_read_after = first_read_after;
  st.members_reader = spawn_members_reader(self->system(), *st.io, std::move(ms), caf::actor_cast<ha_loop_actor>(self));
  self->monitor(st.members_reader);
  st.members_source = {}; // a new reader reports only what goes wrong for it
}

void start_copier(self_ptr self) {
  auto& st = self->state;
  auto me = caf::actor_cast<ha_loop_actor>(self);
  st.copier = st.settings.spawners.copier
                  ? st.settings.spawners.copier(self->system(), me)
                  : spawn_slot_copier(self->system(), *st.io, copier_settings_from(st.settings), st.local,
                                      st.leader_conn, me);
  self->monitor(st.copier);
}

namespace {

void on_copier_down(self_ptr self, caf::down_msg& msg) {
  auto& st = self->state;
  if (!msg.reason || msg.reason == caf::exit_reason::user_shutdown)
    return;
  log_ha()->error("the slot copier ended ({}): starting a new one", caf::to_string(msg.reason));
  record_error(st, model::error_kind::copier, "", "slot copier ended: " + caf::to_string(msg.reason));
  st.copying = st.restarting = st.server_down = false;
  st.copy = copy_report{};
  st.copiers_ended = st.copy_totals();
  st.copier_now = {};
  // Its creations run on in their advance workers, unanswered: they stay in
  // `creating` (no file copy meanwhile) until their budget has passed
  // (expire_creations), and every copy is proven again.
  if (!st.creating.empty())
    st.rebuild_readiness = true;
  start_copier(self);
}

} // namespace

// The HA loop monitors its workers, and each worker monitors the loop and
// ends with it. A worker that fails (any reason but a shutdown, even a kill)
// does not take the loop with it: it is forgotten, and the next advance or
// create for its database starts a new one.
void on_worker_down(self_ptr self, caf::down_msg& msg) {
  auto& st = self->state;
  if (caf::actor_cast<caf::actor_addr>(st.copier) == msg.source) {
    on_copier_down(self, msg);
    return;
  }
  if (st.members_reader && caf::actor_cast<caf::actor_addr>(st.members_reader) == msg.source) {
    if (!msg.reason || msg.reason == caf::exit_reason::user_shutdown)
      return;
    log_ha()->error("the reader of {} ended ({}): a new one reads in {} ms",
                    config::members_origin(st.settings.cfg.members_from.source), caf::to_string(msg.reason),
                    st.settings.cfg.loop_wait.count());
    record_error(st, model::error_kind::worker, "", "members reader ended: " + caf::to_string(msg.reason));
    start_members_reader(self, st.settings.cfg.loop_wait); // not in a tight loop
    return;
  }
  for (auto it = st.workers.begin(); it != st.workers.end(); ++it) {
    if (caf::actor_cast<caf::actor_addr>(it->second) != msg.source)
      continue;
    if (!msg.reason || msg.reason == caf::exit_reason::user_shutdown) {
      st.workers.erase(it);
      return;
    }
    ++st.worker_failures;
    log_ha()->error("the advance worker for database {} ended ({}); a new one starts when needed", it->first,
                    caf::to_string(msg.reason));
    record_error(st, model::error_kind::worker, "", "advance worker for database " + it->first + " ended: " +
                                       caf::to_string(msg.reason));
    st.workers.erase(it);
    st.full_cycle_due = true; // at the next tick (a worker that keeps dying is not restarted in a loop)
    return;
  }
}

void clean_workers(self_ptr self) {
  for (auto& [db, w] : self->state.workers)
    self->send(w, clean_atom_v);
}

// The outcomes of the local connection's slot actions: logged, errors
// recorded, a dropped slot out of the readiness queue. Returns the slots not
// dropped (active ones included): their creations and copies wait.
std::set<std::string> take_local_outcomes(ha_state& s, const local_actions& done,
                                          const std::vector<action_outcome>& outcomes) {
  std::set<std::string> not_dropped;
  for (auto& o : outcomes) {
    const auto action = std::string(to_string(o.action)) + (o.target ? " to " + o.target->str() : std::string());
    if (o.ok()) {
      // A create after a drop that did not happen found the slot there: no change.
      if (!(o.action == slot_action::create_physical && not_dropped.contains(o.slot)))
        audit_local_outcome(s, done, o);
      switch (o.action) {
      case slot_action::drop:
        if (o.result != outcome::absent)
          log_slots()->info("dropped replication slot {}", o.slot);
        s.readiness.pending.erase(o.slot);
        break;
      case slot_action::create_physical:
        log_slots()->info("created physical replication slot {}", o.slot);
        break;
      case slot_action::set_standby_slots:
        log_slots()->info("set synchronized_standby_slots to '{}'", o.slot);
        break;
      default:
        log_slots()->debug("{} of slot {} done", action, o.slot);
      }
      continue;
    }
    if (o.action == slot_action::drop)
      not_dropped.insert(o.slot);
    if (o.result == outcome::kept_active) {
      if (should_log(s, "active-" + o.slot))
        log_slots()->warn("unable to drop replication slot {}: it is active", o.slot);
      continue;
    }
    if (should_log(s, action + "-" + o.slot))
      log_slots()->error("{} of replication slot {} failed: {}", action, o.slot, o.why());
    record_error(s, model::error_kind_of(o.action), o.slot, o.why());
  }
  return not_dropped;
}

} // namespace slotd::actors::ha
