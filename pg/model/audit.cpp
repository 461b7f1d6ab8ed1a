#include "pg/model/audit.hpp"

#include <algorithm>

namespace slotd::model {

std::string_view to_string(audit_action a) {
  switch (a) {
  case audit_action::create: return "create";
  case audit_action::drop: return "drop";
  case audit_action::copy: return "copy";
  case audit_action::advance: return "advance";
  case audit_action::restart: return "restart";
  case audit_action::promote: return "promote";
  case audit_action::demote: return "demote";
  case audit_action::view_change: return "view_change";
  case audit_action::standby_slots_change: return "standby_slots_change";
  }
  return "?";
}

std::string drop_rule(drop_reason r) {
  switch (r) {
  case drop_reason::unknown: return "§3.13 rule 1 (not desired)";
  case drop_reason::wal_status_lost: return "§3.13 rule 2 (wal_status lost)";
  case drop_reason::value_changed: return "§3.13 rule 3 (type, database or plugin changed)";
  case drop_reason::xmin_on_inactive: return "§3.13 rule 4 (inactive physical slot holding xmin)";
  case drop_reason::no_restart_lsn: return "§3.13 rule 5 (physical slot without restart_lsn)";
  case drop_reason::failover_not_synced: return "§3.13 rule 6 (17+ failover slot not synced)";
  case drop_reason::retention_limit: return "§3.13 rule 8 (retention limit, action drop_inactive)";
  }
  return "§3.13";
}

const audit_event& audit_ring::add(audit_event e) {
  e.seq = ++seq_;
  events_.push_back(std::move(e));
  while (events_.size() > capacity_)
    events_.pop_front();
  return events_.back();
}

audit_ring::page audit_ring::since(std::uint64_t since, std::size_t max) const {
  page p;
  if (since > seq_)
    since = 0; // a number from before this agent started: all of this run's events
  p.next = since;
  if (events_.empty())
    return p;
  const auto oldest = events_.front().seq;
  if (since + 1 < oldest)
    p.missed = oldest - since - 1;
  auto it = std::lower_bound(events_.begin(), events_.end(), since + 1,
                             [](const audit_event& e, std::uint64_t s) { return e.seq < s; });
  for (; it != events_.end() && p.events.size() < max; ++it)
    p.events.push_back(*it);
  if (!p.events.empty())
    p.next = p.events.back().seq;
  return p;
}

advance_summary advance_digest::take(const std::string& slot, entry& e, bool jump, time_point now) {
  advance_summary s{slot, e.before, e.after, e.advances, jump, e.rule, e.actor};
  e.before = e.after;
  e.advances = 0;
  e.last_event = now;
  return s;
}

std::optional<advance_summary> advance_digest::note(const std::string& slot, std::optional<pg::lsn> before,
                                                    pg::lsn after, std::string_view rule, std::string_view actor,
                                                    time_point now, const advance_summary_policy& p) {
  auto [it, fresh] = slots_.try_emplace(slot);
  auto& e = it->second;
  // Where the slot was: the end of its last advance seen, else `before`
  // (a snapshot, which may have been read after this advance: then the
  // start is not known).
  auto from = fresh ? before : std::optional(e.after);
  if (from && after <= *from) {
    if (!fresh)
      return std::nullopt; // not forward (a repeated report)
    from.reset();
  }
  if (e.advances == 0)
    e.before = from;
  const bool jump = from && after.bytes_after(*from) > p.jump_bytes;
  e.after = after;
  ++e.advances;
  e.rule = rule;
  e.actor = actor;
  if (jump || !e.last_event || now - *e.last_event >= p.every)
    return take(slot, e, jump, now);
  return std::nullopt;
}

std::vector<advance_summary> advance_digest::due(time_point now, const advance_summary_policy& p) {
  std::vector<advance_summary> out;
  for (auto& [slot, e] : slots_)
    if (e.advances > 0 && (!e.last_event || now - *e.last_event >= p.every))
      out.push_back(take(slot, e, false, now));
  return out;
}

std::optional<advance_summary> advance_digest::flush(const std::string& slot, time_point now) {
  auto it = slots_.find(slot);
  if (it == slots_.end())
    return std::nullopt;
  std::optional<advance_summary> out;
  if (it->second.advances > 0)
    out = take(slot, it->second, false, now);
  slots_.erase(it);
  return out;
}

std::vector<advance_summary> advance_digest::flush_all(time_point now) {
  std::vector<advance_summary> out;
  for (auto& [slot, e] : slots_)
    if (e.advances > 0)
      out.push_back(take(slot, e, false, now));
  slots_.clear();
  return out;
}

bool advance_digest::pending() const {
  return std::any_of(slots_.begin(), slots_.end(), [](const auto& kv) { return kv.second.advances > 0; });
}

namespace {

template <class Map>
void keys_diff(const Map& a, const Map& b, std::string_view what, std::vector<std::string>& parts) {
  std::string added, removed, changed;
  auto add = [](std::string& list, const std::string& k) { list += (list.empty() ? "" : ", ") + k; };
  for (auto& [k, v] : b) {
    auto it = a.find(k);
    if (it == a.end())
      add(added, k);
    else if (!(it->second == v))
      add(changed, k);
  }
  for (auto& [k, v] : a)
    if (!b.contains(k))
      add(removed, k);
  if (!added.empty())
    parts.push_back(std::string(what) + " added: " + added);
  if (!removed.empty())
    parts.push_back(std::string(what) + " removed: " + removed);
  if (!changed.empty())
    parts.push_back(std::string(what) + " changed: " + changed);
}

} // namespace

std::string describe_view_change(const cluster_view& before, const cluster_view& after) {
  std::vector<std::string> parts;
  // A member's xlog_location is a position an HA manager may push every
  // loop, not a change of the view.
  auto members_of = [](const cluster_view& v) {
    auto m = v.members;
    for (auto& [name, member] : m)
      member.xlog_location.reset();
    return m;
  };
  keys_diff(members_of(before), members_of(after), "members", parts);
  keys_diff(before.slots, after.slots, "slots", parts);
  if (!(before.ignore_slots == after.ignore_slots))
    parts.push_back("ignore_slots changed");
  if (before.use_slots != after.use_slots)
    parts.push_back(std::string("use_slots ") + (after.use_slots ? "on" : "off"));
  if (before.member_slots_ttl != after.member_slots_ttl)
    parts.push_back("member_slots_ttl " + std::to_string(after.member_slots_ttl.count() / 1000) + " s");
  std::string out;
  for (auto& p : parts)
    out += (out.empty() ? "" : "; ") + p;
  return out;
}

} // namespace slotd::model
