#include "pg/model/copy_settle.hpp"

#include <algorithm>

namespace slotd::model {

std::vector<std::string> awaited_on_leader(const desired_set& desired, const slot_cache& local,
                                           const slot_positions& leader) {
  std::vector<std::string> out;
  for (auto& [name, d] : desired)
    if (d.type == slot_type::logical && !local.contains(name) && !leader.contains(name))
      out.push_back(name);
  return out;
}

void track_settling(settling_slots& slots, const std::vector<std::string>& to_copy,
                    const std::vector<std::string>& awaited, time_point now) {
  settling_slots next;
  auto keep = [&](const std::string& name, bool on_leader) {
    auto it = slots.find(name);
    if (it == slots.end() || (on_leader && !it->second.on_leader))
      next[name] = {now, on_leader};
    else
      next[name] = it->second;
  };
  for (auto& n : to_copy)
    keep(n, true);
  for (auto& n : awaited)
    if (!next.contains(n))
      keep(n, false);
  slots = std::move(next);
}

std::string to_string(settle_wait w) {
  switch (w) {
  case settle_wait::none:
    return "none";
  case settle_wait::quiet:
    return "new slots settling";
  case settle_wait::after_restart:
    return "the previous restart was too recent";
  }
  return "?";
}

copy_settle_decision settle_copies(const copy_settle_input& in) {
  copy_settle_decision d;
  if (in.to_copy.empty())
    return d;
  if (in.settle <= std::chrono::milliseconds::zero()) {
    d.copy_now = true;
    return d;
  }
  // Quiet: the newest addition to the set the copy needs, plus settle,
  // capped at a few settle times after the oldest slot it could copy now.
  std::optional<time_point> newest, oldest_copyable;
  for (auto& [name, s] : in.settling) {
    newest = std::max(newest.value_or(s.since), s.since);
    if (s.on_leader && std::find(in.to_copy.begin(), in.to_copy.end(), name) != in.to_copy.end())
      oldest_copyable = std::min(oldest_copyable.value_or(s.since), s.since);
  }
  time_point quiet = in.now - in.settle; // nothing known: no wait
  if (newest) {
    quiet = *newest + in.settle;
    if (oldest_copyable)
      quiet = std::min(quiet, *oldest_copyable + max_settle_factor * in.settle);
  }
  time_point rate = in.last_restart_end ? *in.last_restart_end + in.settle : quiet;
  d.not_before = std::max(quiet, rate);
  d.copy_now = in.now >= d.not_before;
  if (!d.copy_now)
    d.waiting = rate > quiet ? settle_wait::after_restart : settle_wait::quiet;
  return d;
}

} // namespace slotd::model
