#include "pg/model/wal_guard.hpp"

#include <algorithm>

namespace slotd::model {

std::string_view to_string(retention_level l) {
  switch (l) {
  case retention_level::ok: return "ok";
  case retention_level::warn: return "warn";
  case retention_level::limit: return "limit";
  }
  return "ok";
}

void record_wal_usage(wal_usage_history& h, const std::vector<slot_figures>& figures, sample_clock::time_point at) {
  std::optional<std::uint64_t> most;
  for (auto& f : figures)
    if (f.retained_bytes)
      most = std::max(most.value_or(0), *f.retained_bytes);
  if (!most)
    return;
  if (!h.kept.empty() && at < h.kept.back().first)
    h.kept.clear(); // the clock went back: start again
  h.kept.emplace_back(at, *most);
  while (!h.kept.empty() && at - h.kept.front().first > wal_growth_window)
    h.kept.pop_front();
}

wal_guard_verdict judge_wal_retention(const std::vector<slot_figures>& figures,
                                      const std::map<std::string, permanent_slot>& policies,
                                      const wal_usage_history& history, std::optional<std::uint64_t> free_bytes) {
  wal_guard_verdict v;
  v.free_bytes = free_bytes;
  for (auto& f : figures) {
    auto p = policies.find(f.name);
    if (p == policies.end() || (!p->second.retention.warn && !p->second.retention.limit) || !f.retained_bytes)
      continue;
    const auto& r = p->second.retention;
    slot_retention s{f.name, *f.retained_bytes, retention_level::ok, std::nullopt};
    if (r.limit && s.kept >= *r.limit) {
      s.level = retention_level::limit;
      s.threshold = r.limit;
    } else if (r.warn && s.kept >= *r.warn) {
      s.level = retention_level::warn;
      s.threshold = r.warn;
    }
    v.slots.push_back(s);
  }
  if (history.kept.size() >= 2) {
    auto& [t0, k0] = history.kept.front();
    auto& [t1, k1] = history.kept.back();
    auto span = std::chrono::duration<double>(t1 - t0).count();
    if (t1 - t0 >= wal_growth_min_span && span > 0)
      v.growth_bytes_per_second = std::max(0.0, (static_cast<double>(k1) - static_cast<double>(k0)) / span);
  }
  if (free_bytes && v.growth_bytes_per_second && *v.growth_bytes_per_second > 0) {
    v.full_forecast_seconds = static_cast<double>(*free_bytes) / *v.growth_bytes_per_second;
    v.forecast_alert = *v.full_forecast_seconds < std::chrono::duration<double>(wal_full_alert).count();
  }
  return v;
}

} // namespace slotd::model
