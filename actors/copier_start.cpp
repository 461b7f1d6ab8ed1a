// The slot copier's starts after a copy: retried with backoff while the
// server is down, and at a shutdown what pg/model/copier_drain.hpp says (one
// attempt made after the shutdown was asked, then the answer).
#include "actors/copier_state.hpp"

#include <boost/asio/awaitable.hpp>

#include "actors/io_bridge.hpp"
#include "pg/model/copier_drain.hpp"
#include "pg/server/copy_restart.hpp"

namespace slotd::actors::copier {

namespace asio = boost::asio;
namespace srv = pg::server;
using srv::restart_outcome;
using namespace std::chrono_literals;

void report(self_ptr self) {
  auto r = self->state.current;
  r.counts = self->state.counts;
  self->send(self->state.ha, std::move(r));
}

void answer_drains(self_ptr self) {
  for (auto& rp : self->state.drains)
    rp.deliver(true);
  self->state.drains.clear();
}

namespace {

constexpr auto max_backoff = 30s;

model::copier_activity activity_of(copy_phase p) {
  switch (p) {
  case copy_phase::idle: return model::copier_activity::idle;
  case copy_phase::fetching: return model::copier_activity::fetching;
  case copy_phase::restarting: return model::copier_activity::restarting;
  case copy_phase::server_down: return model::copier_activity::server_down;
  }
  return model::copier_activity::restarting;
}

void schedule_start_retry(self_ptr self) {
  auto& st = self->state;
  self->delayed_send(self, st.backoff, retry_atom_v, ++st.epoch);
  st.backoff = std::min<std::chrono::milliseconds>(st.backoff * 2, max_backoff);
}

void start_since_shutdown(self_ptr self) {
  self->state.drain_started = true;
  retry_start(self, 1);
}

} // namespace

void server_back(self_ptr self) {
  auto& st = self->state;
  st.current.phase = copy_phase::idle;
  st.backoff = 1000ms;
  report(self);
}

void retry_start(self_ptr self, unsigned attempts) {
  auto& st = self->state;
  auto settings = st.settings;
  auto* pool = &st.io->blocking_pool();
  std::function<asio::awaitable<restart_outcome>()> work = [settings, pool, attempts]() {
    return srv::start_after_copy(*pool, settings.server, settings.state_dir, attempts);
  };
  st.starting = true;
  on_io<restart_outcome>(*st.io, self, std::move(work), [self](restart_outcome o) {
    auto& s = self->state;
    s.starting = false;
    s.current.start_attempts += o.start_attempts;
    s.start_retries += o.start_attempts;
    if (o.running) {
      log_slots()->info("the local server runs again ({} start attempt(s))", s.current.start_attempts);
      s.current.error.clear();
      server_back(self);
      answer_drains(self);
      return;
    }
    s.current.phase = copy_phase::server_down;
    s.current.error = o.error;
    report(self);
    after_failed_start(self, s.drain_started);
  });
}

void after_failed_start(self_ptr self, bool started_since_shutdown) {
  auto& st = self->state;
  switch (model::after_failed_start(st.draining, started_since_shutdown)) {
  case model::failed_start_step::retry_later:
    schedule_start_retry(self); // logged once, when the copy's restart left it down
    break;
  case model::failed_start_step::start_again:
    // The attempt that failed began before the shutdown: one more.
    log_slots()->warn("shutdown while the local server is down after a slot copy: starting it first");
    start_since_shutdown(self);
    break;
  case model::failed_start_step::answer:
    log_slots()->error("shutting down with the local server down ({}): the next slotd start starts it "
                       "(the copy intent record stays)", st.current.error);
    answer_drains(self);
    break;
  }
}

caf::result<bool> on_shutdown(self_ptr self) {
  auto& s = self->state;
  auto step = model::on_shutdown(activity_of(s.current.phase), s.starting);
  if (step == model::shutdown_step::answer)
    return true;
  auto rp = self->make_response_promise<bool>();
  s.drains.push_back(rp);
  if (step == model::shutdown_step::start_then_answer) {
    log_slots()->warn("shutdown while the local server is down after a slot copy: starting it first");
    ++s.epoch; // the scheduled attempt is dropped
    start_since_shutdown(self);
  }
  return rp;
}

} // namespace slotd::actors::copier
