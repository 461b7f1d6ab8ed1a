#include "pg/model/slot_figures.hpp"

namespace slotd::model {

namespace {

// Bytes from `from` up to `head`; 0 when `from` is past it (a slot can be
// ahead of a standby's replay).
std::optional<std::uint64_t> bytes_to(const std::optional<pg::lsn>& head, const std::optional<pg::lsn>& from) {
  if (!head || !from)
    return std::nullopt;
  return *head > *from ? head->bytes_after(*from) : 0;
}

} // namespace

slot_watch watch_slots(const slot_watch& previous, const slot_cache& slots, sample_clock::time_point at) {
  slot_watch out;
  for (auto& [name, s] : slots) {
    auto pos = position_of(s);
    auto prev = previous.find(name);
    slot_watch_entry e;
    if (prev == previous.end()) {
      e.position = pos;
      e.moved_at = at;
    } else {
      e = prev->second;
      if (e.position != pos) {
        e.position = pos;
        e.moved_at = at;
        e.moved_seen = true;
      }
    }
    e.active = s.active;
    if (s.active)
      e.last_active = at;
    out.emplace(name, e);
  }
  return out;
}

std::vector<slot_figures> compute_slot_figures(const slot_figures_input& in) {
  std::vector<slot_figures> out;
  if (!in.slots)
    return out;
  for (auto& [name, s] : *in.slots) {
    slot_figures f;
    f.name = name;
    f.type = s.type;
    f.active = s.active;
    f.wal_status = s.wal_status;
    f.retained_bytes = bytes_to(in.wal_end ? in.wal_end : in.head, s.restart_lsn);
    if (s.type == slot_type::logical) {
      f.confirmed_lag_bytes = bytes_to(in.head, s.confirmed_flush_lsn);
      if (in.replica && in.leader && s.confirmed_flush_lsn)
        f.behind_leader = lag_behind(*in.leader, name, *s.confirmed_flush_lsn);
    }
    const slot_details* d = nullptr;
    if (in.details)
      if (auto it = in.details->find(name); it != in.details->end())
        d = &it->second;
    if (d) {
      f.safe_wal_size = d->safe_wal_size;
      if (s.active)
        f.consumer = d->consumer;
    }
    if (in.watch)
      if (auto w = in.watch->find(name); w != in.watch->end()) {
        f.unmoved_seconds = seconds_between(w->second.moved_at, in.now);
        f.unmoved_at_least = !w->second.moved_seen;
        if (!s.active)
          f.last_active = w->second.last_active;
      }
    if (!s.active) {
      // PostgreSQL's own clock (17+) counts from the slot's release, which
      // may be before slotd ever saw it; slotd's sight may be newer than
      // the details (read once per full cycle). The later of the two.
      if (d && d->inactive_since)
        f.last_active = std::max(f.last_active.value_or(*d->inactive_since), *d->inactive_since);
      if (f.last_active)
        f.inactive_seconds = seconds_between(*f.last_active, in.now);
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::map<std::string, std::chrono::milliseconds> inactive_durations(const slot_watch& watch,
                                                                    sample_clock::time_point now,
                                                                    std::optional<sample_clock::time_point> not_before) {
  std::map<std::string, std::chrono::milliseconds> out;
  for (const auto& [name, w] : watch) {
    if (w.active)
      continue;
    auto since = w.last_active ? std::max(*w.last_active, w.moved_at) : w.moved_at;
    if (not_before)
      since = std::max(since, *not_before);
    out[name] = std::chrono::duration_cast<std::chrono::milliseconds>(std::max(now - since, sample_clock::duration{}));
  }
  return out;
}

} // namespace slotd::model
