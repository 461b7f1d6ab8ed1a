#include "pg/model/failover_slots.hpp"

#include <algorithm>
#include <set>
#include <tuple>

#include "pg/model/topology.hpp"
#include "pg/model/version_gates.hpp"

namespace slotd::model {

bool has_failover_permanent_slots(const cluster_view& view) {
  return std::any_of(view.slots.begin(), view.slots.end(), [](const auto& kv) {
    return kv.second.type == slot_type::logical && kv.second.failover;
  });
}

std::vector<std::string> missing_sync_prerequisites(const standby_sync_settings& s) {
  std::vector<std::string> out;
  if (s.sync_replication_slots != true)
    out.emplace_back("sync_replication_slots");
  if (s.hot_standby_feedback != true)
    out.emplace_back("hot_standby_feedback");
  if (s.primary_slot_name.empty())
    out.emplace_back("primary_slot_name");
  if (s.primary_conninfo_dbname.empty())
    out.emplace_back("primary_conninfo.dbname");
  return out;
}

bool is_failover_slot_ready(const failover_slot_state& s) {
  return s.synced && !s.temporary && !s.invalidation_reason;
}

bool is_native_failover_slot(slot_type type, bool failover, int server_major) {
  return has_failover_slots(server_major) && type == slot_type::logical && failover;
}

bool is_local_logical_slot_ready(bool holds_lead, bool native_failover, const failover_slot_state* sync_state,
                                 bool proof_pending) {
  if (holds_lead)
    return true;
  if (native_failover)
    return sync_state && is_failover_slot_ready(*sync_state);
  return !proof_pending;
}

std::vector<std::string> synchronized_standby_slot_names(const cluster_view& view, std::string_view my_name) {
  std::set<std::string> names;
  if (!view.use_slots)
    return {};
  const std::optional<std::string> me{std::string(my_name)};
  for (const auto& [name, m] : view.members) {
    if (name == my_name || m.tags.nofailover)
      continue;
    auto own = slot_name_from_member_name(name);
    // Streams from me through its own slot: not nostream (nullopt), not a
    // cascade below another replica (that replica's slot).
    if (get_slot_name_on_primary(view, name, me) != own)
      continue;
    if (is_valid_slot_name(own) && own != slot_name_from_member_name(my_name))
      names.insert(own);
  }
  return {names.begin(), names.end()};
}

std::string synchronized_standby_slots_value(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names)
    out += (out.empty() ? "" : ",") + n;
  return out;
}

namespace {

// "a, b,c" → {a, b, c}: PostgreSQL accepts spaces after the commas.
std::set<std::string> parse_list(std::string_view value) {
  std::set<std::string> out;
  std::string item;
  auto flush = [&] {
    if (!item.empty())
      out.insert(item);
    item.clear();
  };
  for (char c : value) {
    if (c == ',')
      flush();
    else if (c != ' ' && c != '"')
      item += c;
  }
  flush();
  return out;
}

} // namespace

not_streaming_times track_not_streaming(const not_streaming_times& before, const cluster_view& view,
                                        std::string_view my_name, const std::map<std::string, std::string>& senders,
                                        std::chrono::steady_clock::time_point now) {
  not_streaming_times out;
  for (const auto& name : synchronized_standby_slot_names(view, my_name)) {
    if (auto it = senders.find(name); it != senders.end() && it->second == "streaming")
      continue;
    auto was = before.find(name);
    out[name] = was != before.end() ? was->second : now;
  }
  return out;
}

standby_slots_choice choose_synchronized_standby_slots(const cluster_view& view, std::string_view my_name,
                                                       const standby_slots_input& in) {
  standby_slots_choice out;
  static const std::map<std::string, std::string> none;
  const auto& senders = in.senders ? *in.senders : none;
  const auto now_listed = in.current ? parse_list(*in.current) : std::set<std::string>{};
  auto candidates = synchronized_standby_slot_names(view, my_name);
  std::set<std::string> listed;
  std::vector<std::string> rest;
  for (const auto& name : candidates) {
    if (auto it = senders.find(name); it != senders.end() && it->second == "streaming") {
      listed.insert(name);
      out.streaming.push_back(name);
      continue;
    }
    auto since = in.not_streaming.find(name);
    // No start time yet (the first cycle as primary): just seen.
    bool in_grace = now_listed.contains(name) && in.leave_out_after.count() > 0 &&
                    (since == in.not_streaming.end() || in.now - since->second < in.leave_out_after);
    if (in_grace) {
      listed.insert(name);
      out.kept_waiting.push_back(name);
    } else {
      rest.push_back(name);
    }
  }
  // Kept for min_standbys: listed now, then attached, then by name.
  auto rank = [&](const std::string& name) {
    return std::make_tuple(now_listed.contains(name) ? 0 : 1, senders.contains(name) ? 0 : 1, name);
  };
  std::sort(rest.begin(), rest.end(), [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  for (const auto& name : rest) {
    if (static_cast<int>(listed.size()) >= in.min_standbys)
      break;
    listed.insert(name);
    out.kept_waiting.push_back(name);
  }
  std::sort(out.kept_waiting.begin(), out.kept_waiting.end());
  out.listed.assign(listed.begin(), listed.end());
  return out;
}

std::optional<std::vector<std::string>> synchronized_standby_slots_change(const cluster_view& view,
                                                                          std::string_view my_name, int server_major,
                                                                          const standby_slots_input& in) {
  if (!has_failover_slots(server_major) || !has_failover_permanent_slots(view) || !in.current || !in.senders)
    return std::nullopt;
  auto names = choose_synchronized_standby_slots(view, my_name, in).listed;
  if (parse_list(*in.current) == std::set<std::string>(names.begin(), names.end()))
    return std::nullopt;
  return names;
}

std::vector<std::string> standby_slots_left_out(const cluster_view& view, std::string_view leader,
                                                const std::optional<std::string>& value) {
  std::vector<std::string> out;
  if (!value)
    return out;
  auto listed = parse_list(*value);
  for (auto& name : synchronized_standby_slot_names(view, leader))
    if (!listed.contains(name))
      out.push_back(name);
  return out;
}

std::string not_streaming_evidence(const std::optional<std::string>& wal_receiver, const slot_cache& leader_slots,
                                   std::string_view my_slot) {
  if (wal_receiver != "streaming" && wal_receiver != "hidden")
    return "WAL receiver: " + wal_receiver.value_or("none");
  if (auto it = leader_slots.find(my_slot); it != leader_slots.end() && !it->second.active)
    return "its slot on the leader is not active";
  return "";
}

stream_watch watch_streaming(const stream_watch& before, const std::string& evidence, bool leader_answered_since) {
  if (evidence.empty())
    return {};
  if (leader_answered_since)
    return {evidence};
  return before;
}

std::string standby_protection_gap(const cluster_view& view, const standby_protection_input& in) {
  if (!has_failover_slots(in.server_major) || !has_failover_permanent_slots(view) || in.leader.empty())
    return "";
  auto mine = slot_name_from_member_name(in.my_name);
  auto candidates = synchronized_standby_slot_names(view, in.leader);
  if (!std::binary_search(candidates.begin(), candidates.end(), mine))
    return ""; // never waited for
  auto left_out = standby_slots_left_out(view, in.leader, in.leader_value);
  if (std::find(left_out.begin(), left_out.end(), mine) != left_out.end())
    return "not in synchronized_standby_slots: the leader does not wait for this replica, so the consumers of "
           "failover slots may have changes it lacks";
  if (!in.stopped_streaming.empty())
    return "not streaming from the leader (" + in.stopped_streaming +
           ") while it runs: the leader leaves it out of synchronized_standby_slots after "
           "failover_slots.leave_out_after";
  auto me = in.leader_slots.find(mine);
  if (me != in.leader_slots.end() && me->second.restart_lsn && in.consumers_confirmed &&
      *in.consumers_confirmed > *me->second.restart_lsn)
    return "behind the consumers of failover slots: confirmed up to " + in.consumers_confirmed->str() +
           " on the leader, this replica has flushed up to " + me->second.restart_lsn->str();
  return "";
}

void reduced_protection_clock::observe(bool reduced, time_point now) {
  if (since_)
    total_ += std::chrono::duration<double>(now - *since_).count();
  since_.reset();
  if (reduced)
    since_ = now;
}

double reduced_protection_clock::seconds(time_point now) const {
  return total_ + (since_ ? std::chrono::duration<double>(now - *since_).count() : 0.0);
}

} // namespace slotd::model
