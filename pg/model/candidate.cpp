#include "pg/model/candidate.hpp"

#include <algorithm>
#include <tuple>

namespace slotd::model {

namespace {

// Every other entry of the older half goes (the newest entry always stays).
void thin(std::deque<position_seen>& seen) {
  std::deque<position_seen> out;
  auto half = seen.size() / 2;
  for (std::size_t i = 0; i < seen.size(); ++i)
    if (i >= half || i % 2 == 0)
      out.push_back(seen[i]);
  seen = std::move(out);
}

} // namespace

double seconds_between(sample_clock::time_point from, sample_clock::time_point to) {
  return to > from ? std::chrono::duration<double>(to - from).count() : 0.0;
}

void record_leader_positions(position_history& h, const std::string& leader_name, const slot_cache& leader,
                             sample_clock::time_point at, std::size_t limit) {
  if (h.leader != leader_name || (h.newest && at < *h.newest)) // another leader, or the wall clock stepped back
    h = position_history{leader_name, {}, std::nullopt};
  for (auto it = h.slots.begin(); it != h.slots.end();) {
    auto s = leader.find(it->first);
    if (s == leader.end() || s->second.type != slot_type::logical || !s->second.confirmed_flush_lsn)
      it = h.slots.erase(it);
    else
      ++it;
  }
  for (auto& [name, slot] : leader) {
    if (slot.type != slot_type::logical || !slot.confirmed_flush_lsn)
      continue;
    auto lsn = *slot.confirmed_flush_lsn;
    auto& seen = h.slots[name];
    if (!seen.empty() && lsn < seen.back().lsn)
      seen.clear();
    if (!seen.empty() && seen.back().lsn == lsn) {
      seen.back().last = at;
      continue;
    }
    seen.push_back({lsn, at, at});
    if (limit >= 2 && seen.size() > limit)
      thin(seen);
  }
  h.newest = at;
}

std::optional<lag> lag_behind(const position_history& h, const std::string& slot, pg::lsn copy) {
  auto it = h.slots.find(slot);
  if (it == h.slots.end() || it->second.empty() || !h.newest)
    return std::nullopt;
  const auto& seen = it->second;
  lag out;
  if (copy >= seen.back().lsn)
    return out;
  out.bytes = seen.back().lsn.bytes_after(copy);
  // The last entry at or below the copy: the leader was there at its `last`.
  auto below = std::find_if(seen.rbegin(), seen.rend(), [&](const position_seen& p) { return p.lsn <= copy; });
  if (below == seen.rend()) {
    out.seconds = seconds_between(seen.front().first, *h.newest);
    out.at_least = true;
  } else {
    out.seconds = seconds_between(below->last, *h.newest);
  }
  return out;
}

candidate_verdict judge_candidate(const candidate_input& in) {
  candidate_verdict v;
  if (in.holds_lead) {
    v.loses_nothing = true;
    return v;
  }
  if (!in.local_reachable)
    v.reasons.push_back("the local server does not answer");
  else if (!in.in_recovery)
    v.reasons.push_back("the local server is not in recovery: it is a primary, not a replica that could be promoted");
  if (in.server_down)
    v.reasons.push_back("the local server is down after a slot copy and being started again");
  else if (in.restarting)
    v.reasons.push_back("the local server is stopped for a slot copy");
  else if (in.copying)
    v.reasons.push_back("a slot copy is under way");
  if (!in.readiness.reason.empty())
    v.reasons.push_back(in.readiness.reason);
  for (auto& name : in.readiness.unready) {
    auto r = in.readiness.reasons.find(name);
    v.reasons.push_back("slot " + name + " is not ready" + (r == in.readiness.reasons.end() ? "" : ": " + r->second));
  }
  for (auto& verdict : in.verdicts) {
    candidate_slot c;
    c.name = verdict.name;
    c.ready = verdict.ready;
    c.reason = verdict.reason;
    if (auto l = in.local.find(verdict.name); l != in.local.end()) {
      c.present = true;
      c.lost = l->second.wal_status == "lost";
      c.lsn = l->second.confirmed_flush_lsn;
    }
    for (auto& f : in.failover_slots)
      if (f.name == verdict.name) {
        c.present = true;
        c.synced = f.synced;
        c.temporary = f.temporary;
      }
    if (in.leader_slots)
      if (auto l = in.leader_slots->find(verdict.name); l != in.leader_slots->end())
        c.leader_lsn = l->second.confirmed_flush_lsn;
    if (c.lsn && in.history)
      c.behind = lag_behind(*in.history, c.name, *c.lsn);
    if (!c.behind && c.lsn && c.leader_lsn) { // no history yet: bytes only
      c.behind = lag{};
      c.behind->bytes = c.leader_lsn->bytes_after(*c.lsn);
    }
    if (c.behind && c.behind->bytes > 0) {
      ++v.slots_behind;
      v.bytes_behind += c.behind->bytes;
    }
    v.slots.push_back(std::move(c));
  }
  v.loses_nothing = v.reasons.empty() && in.readiness.ready;
  if (!v.loses_nothing && v.reasons.empty())
    v.reasons.push_back("not ready");
  return v;
}

std::vector<candidate_summary> rank_candidates(std::vector<candidate_summary> members) {
  auto group = [](const candidate_summary& c) { return !c.reachable ? 2 : c.leader ? 1 : 0; };
  std::stable_sort(members.begin(), members.end(), [&](const candidate_summary& a, const candidate_summary& b) {
    if (group(a) != group(b))
      return group(a) < group(b);
    if (group(a) != 0)
      return a.name < b.name;
    // Lower tuples first: negate what should be high.
    auto key = [](const candidate_summary& c) {
      auto received = c.receive_lsn ? c.receive_lsn->value() : 0;
      return std::make_tuple(!c.loses_nothing, ~received, c.slots_behind, c.bytes_behind, c.nofailover,
                             std::cref(c.name));
    };
    return key(a) < key(b);
  });
  return members;
}

bool is_safe_choice(const candidate_summary& c) {
  return c.reachable && !c.leader && !c.nofailover && c.loses_nothing;
}

} // namespace slotd::model
