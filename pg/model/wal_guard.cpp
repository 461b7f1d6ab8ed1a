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

bool wal_free_probe_due(std::optional<guard_clock::time_point> last, guard_clock::time_point now) {
  return !last || now < *last || now - *last >= wal_free_probe_interval;
}

void record_wal_usage(wal_usage_history& h, const std::vector<slot_figures>& figures, guard_clock::time_point at) {
  std::map<std::string, std::uint64_t> kept;
  for (auto& f : figures)
    if (f.retained_bytes)
      kept[f.name] = *f.retained_bytes;
  if (kept.empty())
    return;
  h.kept.emplace_back(at, std::move(kept));
  while (!h.kept.empty() && at - h.kept.front().first > wal_growth_window)
    h.kept.pop_front();
}

wal_guard_verdict judge_wal_retention(const std::vector<slot_figures>& figures,
                                      const std::map<std::string, permanent_slot>& policies,
                                      const wal_usage_history& history, std::optional<std::uint64_t> free_bytes,
                                      guard_clock::time_point now) {
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
  const auto& h = history.kept;
  if (h.size() >= 3 && h.back().first - h.front().first >= wal_growth_min_span &&
      now - h.back().first <= wal_history_stale_after) {
    // The slots present in every entry, then the most they keep per entry.
    std::vector<std::string> throughout;
    for (auto& [name, unused] : h.back().second)
      if (std::all_of(h.begin(), h.end(), [&](auto& e) { return e.second.contains(name); }))
        throughout.push_back(name);
    if (!throughout.empty()) {
      const auto t0 = h.front().first;
      double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0; // least squares, x in seconds since the first
      for (auto& [at, kept] : h) {
        double y = 0;
        for (auto& name : throughout)
          y = std::max(y, static_cast<double>(kept.at(name)));
        double x = std::chrono::duration<double>(at - t0).count();
        n += 1;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
      }
      double denominator = n * sxx - sx * sx;
      if (denominator > 0)
        v.growth_bytes_per_second = std::max(0.0, (n * sxy - sx * sy) / denominator);
    }
  }
  if (free_bytes && v.growth_bytes_per_second && *v.growth_bytes_per_second > 0) {
    v.full_forecast_seconds = static_cast<double>(*free_bytes) / *v.growth_bytes_per_second;
    v.forecast_alert = *v.full_forecast_seconds < std::chrono::duration<double>(wal_full_alert).count();
  }
  return v;
}

} // namespace slotd::model
