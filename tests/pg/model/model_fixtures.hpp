#pragma once
// Small builders for the slot-model tests: members, local slots as read
// from pg_replication_slots, permanent slots and cycle inputs.
#include <algorithm>
#include <initializer_list>
#include <ostream>
#include <optional>
#include <string>

#include "pg/model/slot_plan.hpp"

namespace slotd::model {

// Readable failure output for GoogleTest.
inline void PrintTo(const drop_action& d, std::ostream* os) {
  *os << "drop{" << d.name << ", " << to_string(d.reason) << "}";
}
inline void PrintTo(const physical_advance& a, std::ostream* os) {
  *os << "advance{" << a.name << " -> " << a.target.str() << "}";
}
inline void PrintTo(const logical_create& c, std::ostream* os) {
  *os << "create{" << c.name << ", " << c.database << ", " << c.plugin << (c.failover ? ", failover}" : "}");
}
inline void PrintTo(const diagnostic& d, std::ostream* os) {
  *os << "diag{" << static_cast<int>(d.code) << ", " << d.slot << ": " << d.text << "}";
}
inline void PrintTo(const desired_slot& d, std::ostream* os) {
  *os << "desired{" << d.name << ", " << to_string(d.type) << ", lsn=" << (d.lsn ? d.lsn->str() : "-")
      << ", expected_active=" << (d.expected_active ? (*d.expected_active ? "true" : "false") : "-") << "}";
}

} // namespace slotd::model

namespace slotd::pg {
inline void PrintTo(const lsn& v, std::ostream* os) { *os << v.str(); }
} // namespace slotd::pg

namespace slotd::model::testing {

inline pg::lsn L(std::uint64_t v) { return pg::lsn{v}; }
inline pg::xid X(std::uint32_t v) { return pg::xid{v}; }

inline member node(const std::string& name, member_tags tags = {}, std::optional<std::uint64_t> xlog = {}) {
  member m;
  m.name = name;
  m.tags = std::move(tags);
  if (xlog)
    m.xlog_location = pg::lsn{*xlog};
  return m;
}

inline member_tags from(const std::string& upstream) { return {upstream, false, false}; }
inline member_tags nostream() { return {std::nullopt, false, true}; }
inline member_tags nofailover() { return {std::nullopt, true, false}; }

inline permanent_slot physical_slot(const std::string& name) { return {name, slot_type::physical, "", "", false}; }
inline permanent_slot logical_slot(const std::string& name, const std::string& db, const std::string& plugin,
                                   bool failover = false) {
  return {name, slot_type::logical, db, plugin, failover};
}

inline cluster_view view_of(std::initializer_list<member> members, std::initializer_list<permanent_slot> slots = {}) {
  cluster_view v;
  for (const auto& m : members)
    v.members.emplace(m.name, m);
  for (const auto& s : slots)
    v.slots.emplace(s.name, s);
  return v;
}

// A physical slot as pg_replication_slots shows it (wal_status reserved).
inline local_slot physical(const std::string& name, std::optional<std::uint64_t> restart_lsn,
                           std::optional<std::uint32_t> xmin = {}) {
  local_slot s;
  s.name = name;
  s.type = slot_type::physical;
  if (restart_lsn)
    s.restart_lsn = pg::lsn{*restart_lsn};
  if (xmin)
    s.xmin = pg::xid{*xmin};
  s.wal_status = "reserved";
  return s;
}

inline local_slot logical(const std::string& name, const std::string& db, const std::string& plugin,
                          std::optional<std::uint64_t> confirmed_flush = 500,
                          std::optional<std::uint32_t> catalog_xmin = 100) {
  local_slot s;
  s.name = name;
  s.type = slot_type::logical;
  s.database = db;
  s.plugin = plugin;
  s.datoid = 5;
  if (confirmed_flush) {
    s.confirmed_flush_lsn = pg::lsn{*confirmed_flush};
    s.restart_lsn = pg::lsn{*confirmed_flush};
  }
  if (catalog_xmin)
    s.catalog_xmin = pg::xid{*catalog_xmin};
  s.wal_status = "reserved";
  return s;
}

inline slot_cache cache_of(std::initializer_list<local_slot> slots) { return make_slot_cache(slots); }

inline cycle_input primary_input(cluster_view view, const std::string& me, slot_cache local = {}) {
  cycle_input in;
  in.view = std::move(view);
  in.my_name = me;
  in.told = told_role::primary;
  in.in_recovery = false;
  in.local = std::move(local);
  return in;
}

inline cycle_input replica_input(cluster_view view, const std::string& me, const std::string& leader,
                                 slot_cache local = {}) {
  cycle_input in;
  in.view = std::move(view);
  in.my_name = me;
  in.leader = leader;
  in.told = told_role::replica;
  in.in_recovery = true;
  in.local = std::move(local);
  in.replay_lsn = pg::lsn{~0ull >> 1};
  return in;
}

inline std::vector<std::string> names_of(const desired_set& d) {
  std::vector<std::string> out;
  for (const auto& [name, slot] : d)
    out.push_back(name);
  return out;
}

inline std::vector<diagnostic_code> codes_of(const std::vector<diagnostic>& diags) {
  std::vector<diagnostic_code> out;
  for (const auto& d : diags)
    out.push_back(d.code);
  return out;
}

inline bool has_code(const std::vector<diagnostic>& diags, diagnostic_code code, const std::string& slot) {
  return std::any_of(diags.begin(), diags.end(),
                     [&](const diagnostic& d) { return d.code == code && d.slot == slot; });
}

using names = std::vector<std::string>;

} // namespace slotd::model::testing
