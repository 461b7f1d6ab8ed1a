// GET /metrics: the HA loop's state as Prometheus metric families, built on
// prometheus-cpp's core library (its registry and families; app/api writes
// them in the text format). Each scrape fills a fresh registry from the state:
// slots that went away leave no stale series behind.
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "actors/ha_state.hpp"

namespace slotd::actors {

namespace {

using prometheus::Labels;

struct exposition {
  prometheus::Registry registry;
  Labels constant;

  prometheus::Family<prometheus::Gauge>& gauge(const std::string& name, const std::string& help) {
    return prometheus::BuildGauge().Name(name).Help(help).Labels(constant).Register(registry);
  }
  prometheus::Family<prometheus::Counter>& counter(const std::string& name, const std::string& help) {
    return prometheus::BuildCounter().Name(name).Help(help).Labels(constant).Register(registry);
  }
};

void set_counter(prometheus::Family<prometheus::Counter>& f, const Labels& labels, double value) {
  f.Add(labels).Increment(value);
}

void slot_metrics(exposition& x, const ha_state& st) {
  auto figures = slot_figures_of(st);
  auto& active = x.gauge("slotd_slot_active", "1 when a backend (a walsender or an SQL session) uses the slot.");
  auto& retained = x.gauge("slotd_slot_retained_wal_bytes",
                           "WAL from the slot's restart_lsn to the server's position: what the slot keeps on disk.");
  auto& confirmed = x.gauge("slotd_slot_confirmed_lag_bytes",
                            "WAL from a logical slot's confirmed_flush_lsn to the server's position.");
  auto& unmoved = x.gauge("slotd_slot_unmoved_seconds",
                          "Seconds since the slot's position last changed (at least, when it has not moved since "
                          "slotd started watching it).");
  auto& inactive = x.gauge("slotd_slot_inactive_seconds",
                           "Seconds since an unused slot was last used (17+: inactive_since; before: slotd's "
                           "last sight of it active). Absent while active or when never seen active.");
  auto& safe = x.gauge("slotd_slot_safe_wal_size_bytes",
                       "WAL that can still be written before the slot is lost to max_slot_wal_keep_size (13+; "
                       "negative: lost at the next checkpoint; absent when unlimited).");
  auto& wal_status = x.gauge("slotd_slot_wal_status", "The slot's wal_status (13+): 1 for the current one.");
  auto& consumer = x.gauge("slotd_slot_consumer_info",
                           "The backend that uses an active slot: application_name, client address, backend type.");
  auto& ready = x.gauge("slotd_slot_ready", "1 when the logical slot is failover-ready here.");
  auto& behind_bytes = x.gauge("slotd_copy_behind_bytes",
                               "Replica: WAL between a copy's confirmed_flush_lsn and the leader slot's last sampled one.");
  auto& behind_seconds = x.gauge("slotd_copy_behind_seconds",
                                 "Replica: seconds since the leader's slot was last sampled where the copy is now.");
  static const char* statuses[] = {"reserved", "extended", "unreserved", "lost"};
  for (auto& f : figures) {
    Labels l{{"slot", f.name}, {"type", std::string(model::to_string(f.type))}};
    active.Add(l).Set(f.active ? 1 : 0);
    if (f.retained_bytes)
      retained.Add(l).Set(static_cast<double>(*f.retained_bytes));
    if (f.unmoved_seconds)
      unmoved.Add(l).Set(*f.unmoved_seconds);
    if (f.inactive_seconds)
      inactive.Add(l).Set(*f.inactive_seconds);
    if (f.safe_wal_size)
      safe.Add(l).Set(static_cast<double>(*f.safe_wal_size));
    if (f.wal_status)
      for (auto* s : statuses) {
        auto ls = l;
        ls["status"] = s;
        wal_status.Add(ls).Set(*f.wal_status == s ? 1 : 0);
      }
    if (f.consumer) {
      auto ls = l;
      ls["application_name"] = f.consumer->application_name.value_or("");
      ls["client_addr"] = f.consumer->client_addr.value_or("local");
      ls["backend_type"] = f.consumer->backend_type.value_or("");
      consumer.Add(ls).Set(1);
    }
    if (f.type != model::slot_type::logical)
      continue;
    Labels slot{{"slot", f.name}};
    if (f.confirmed_lag_bytes)
      confirmed.Add(slot).Set(static_cast<double>(*f.confirmed_lag_bytes));
    ready.Add(slot).Set(slot_ready_here(st, f.name) ? 1 : 0);
    if (f.behind_leader) {
      behind_bytes.Add(slot).Set(static_cast<double>(f.behind_leader->bytes));
      behind_seconds.Add(slot).Set(f.behind_leader->seconds);
    }
  }
}

void guard_metrics(exposition& x, const ha_state& st) {
  auto v = wal_guard_of(st);
  auto& level = x.gauge("slotd_slot_retention_alert",
                        "1 when the WAL a slot keeps is at or past its configured retention level (warn, limit).");
  for (auto& s : v.slots) {
    const auto& policy = st.view.slots.at(s.name).retention; // judged slots have one
    if (policy.warn)
      level.Add({{"slot", s.name}, {"level", "warn"}}).Set(s.level >= model::retention_level::warn ? 1 : 0);
    if (policy.limit)
      level.Add({{"slot", s.name}, {"level", "limit"}}).Set(s.level == model::retention_level::limit ? 1 : 0);
  }
  auto& free = x.gauge("slotd_wal_free_bytes", "Free space on the file system that holds pg_wal.");
  if (v.free_bytes)
    free.Add({}).Set(static_cast<double>(*v.free_bytes));
  auto& growth = x.gauge("slotd_wal_kept_growth_bytes_per_second",
                         "Growth of the most WAL kept by any slot, over the last 5 minutes.");
  if (v.growth_bytes_per_second)
    growth.Add({}).Set(*v.growth_bytes_per_second);
  auto& forecast = x.gauge("slotd_wal_full_forecast_seconds",
                           "Seconds until pg_wal's file system is full at the rate slots keep WAL (absent when it "
                           "does not grow).");
  if (v.full_forecast_seconds)
    forecast.Add({}).Set(*v.full_forecast_seconds);
}

} // namespace

metrics_view metrics_of(const ha_state& st) {
  exposition x;
  x.constant = {{"scope", st.settings.cfg.scope}, {"name", st.my_name()}};
  auto& role = x.gauge("slotd_role", "The agent's role (1 for the current one).");
  auto current = role_name(st);
  for (auto* r : {"primary", "promoting", "replica", "role_mismatch", "unknown", "waiting"})
    role.Add({{"role", r}}).Set(current == r ? 1 : 0);
  x.gauge("slotd_paused", "1 while paused (nothing dropped or copied).").Add({}).Set(st.paused ? 1 : 0);
  x.gauge("slotd_loop_duration_seconds", "Duration of the last full HA-loop cycle.")
      .Add({})
      .Set(std::chrono::duration<double>(st.last_cycle_duration).count());
  {
    const auto& h = st.cycle_durations;
    prometheus::Histogram::BucketBoundaries bounds(h.bounds.begin(), h.bounds.end());
    std::vector<double> increments(h.counts.begin(), h.counts.end());
    prometheus::BuildHistogram()
        .Name("slotd_loop_cycle_duration_seconds")
        .Help("Durations of the full HA-loop cycles.")
        .Labels(x.constant)
        .Register(x.registry)
        .Add({}, bounds)
        .ObserveMultiple(increments, h.sum);
  }
  set_counter(x.counter("slotd_loop_cycles_total", "Full HA-loop cycles run."), {}, static_cast<double>(st.cycles));
  const auto totals = st.copy_totals();
  set_counter(x.counter("slotd_slot_copies_total", "Logical slots copied from the leader."), {},
              static_cast<double>(totals.copies));
  set_counter(x.counter("slotd_server_restarts_total", "Restarts of the local server for slot copies."), {},
              static_cast<double>(totals.restarts));
  auto& by_slot = x.counter("slotd_slot_restarts_total", "Restarts of the local server that installed a copy of this slot.");
  for (auto& [slot, n] : totals.restarts_by_slot)
    set_counter(by_slot, {{"slot", slot}}, static_cast<double>(n));
  x.gauge("slotd_restarting", "1 while the local server is stopped for a slot copy.").Add({}).Set(st.restarting ? 1 : 0);
  x.gauge("slotd_server_down", "1 while the local server is down after a slot copy (its start is retried).")
      .Add({})
      .Set(st.server_down ? 1 : 0);
  auto& age = x.gauge("slotd_leader_sample_age_seconds", "Replica: seconds since the newest sample of the leader's slots.");
  if (auto a = leader_sample_age(st))
    age.Add({}).Set(*a);
  slot_metrics(x, st);
  guard_metrics(x, st);
  set_counter(x.counter("slotd_reduced_protection_seconds_total",
                        "17+ primary: seconds with some failover-capable replica left out of "
                        "synchronized_standby_slots (it did not stream): the consumers of failover slots could get "
                        "ahead of it."),
              {}, st.reduced_protection.seconds(ha_now(st)));
  auto& protection = x.gauge("slotd_standby_in_synchronized_standby_slots",
                             "17+ replica: 1 when its leader's synchronized_standby_slots lists it, 0 when it leaves "
                             "it out (then it is not ready); absent when failover slots are not in use.");
  if (auto in = standby_listed_here(st))
    protection.Add({}).Set(*in ? 1 : 0);
  auto& errors = x.counter("slotd_errors_total", "Errors by kind.");
  for (auto& [kind, n] : st.errors_by_kind)
    set_counter(errors, {{"kind", std::string(model::to_string(kind))}}, static_cast<double>(n));
  return {x.registry.Collect()};
}

} // namespace slotd::actors
