#include "config/cluster_view_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <variant>

#include "config/api_url.hpp"
#include "config/keys.hpp"
#include "config/size.hpp"

namespace slotd::config {

namespace {

using model::slot_type;

std::optional<slot_type> read_slot_type(yaml_reader& r, const yaml_entry& e) {
  return r.choice(e, {slot_type::physical, slot_type::logical});
}

// Patroni publishes xlog_location as a number of bytes; people write LSNs as
// text (0/3000060). Take either.
std::optional<pg::lsn> read_lsn(yaml_reader& r, const yaml_entry& e) {
  if (e.value.IsScalar()) {
    const std::string& text = e.value.Scalar();
    if (auto l = pg::lsn::parse(text))
      return l;
    std::uint64_t bytes = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), bytes);
    if (ec == std::errc() && end == text.data() + text.size())
      return pg::lsn(bytes);
  }
  r.error(e.at(), e.path + ": " + describe(e.value) + " is not a WAL position (e.g. 0/3000060)");
  return std::nullopt;
}

void read_tags(yaml_reader& r, const yaml_entry& e, model::member_tags& tags) {
  r.each_known_entry(e, keys::tags, [&](const yaml_entry& t) {
    if (t.key == "replicatefrom") {
      if (auto from = r.string(t); from && !from->empty())
        tags.replicatefrom = *from;
    } else if (auto flag = r.boolean(t)) {
      (t.key == "nofailover" ? tags.nofailover : tags.nostream) = *flag;
    }
  });
}

std::map<std::string, model::member> read_members(yaml_reader& r, const yaml_entry& e, view_positions& positions) {
  std::map<std::string, model::member> members;
  r.each_entry(e.value, e.at(), e.path, [&](const yaml_entry& m) {
    positions.members[m.key] = m.key_mark;
    if (m.key.empty())
      r.error(m.key_mark, e.path + ": a member name must not be empty");
    model::member member;
    member.name = m.key;
    bool host_given = false;
    r.each_known_entry(m, keys::member, [&](const yaml_entry& f) {
      if (f.key == "host") {
        host_given = true;
        if (auto host = r.non_empty_string(f))
          member.host = *host;
      } else if (f.key == "port") {
        if (auto port = r.port(f))
          member.port = *port;
      } else if (f.key == "tags") {
        read_tags(r, f, member.tags);
      } else if (f.key == "api") {
        if (auto url = r.non_empty_string(f)) {
          auto parsed = parse_api_url(*url);
          if (auto* why = std::get_if<std::string>(&parsed))
            r.error(f.at(), f.path + ": '" + *url + "': " + *why);
          else
            member.api = *url;
        }
      } else if (auto position = read_lsn(r, f)) {
        member.xlog_location = *position;
      }
    });
    // slotd connects to members (leader connection, role: auto matching).
    if (!host_given && (m.value.IsNull() || m.value.IsMap()))
      r.error(m.key_mark, m.path + ": host is missing");
    members.emplace(m.key, std::move(member));
  });
  return members;
}

// PostgreSQL keeps names of up to 63 bytes (longer ones are cut, and then
// match nothing); a logical decoding plugin is a library name, so no path.
std::optional<std::string> bad_database_name(const std::string& name) {
  if (name.size() > 63)
    return "database name '" + name.substr(0, 63) + "...' is longer than 63 bytes";
  if (std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
    return std::string("database name has a control character");
  return std::nullopt;
}

std::optional<std::string> bad_plugin_name(const std::string& name) {
  if (name.size() > 63)
    return "plugin name '" + name.substr(0, 63) + "...' is longer than 63 bytes";
  if (!std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
      }))
    return "plugin '" + name + "' is not a plugin name (letters, digits, '_' and '-'; e.g. pgoutput)";
  return std::nullopt;
}

// slots.NAME.retention: {warn: SIZE, limit: SIZE, action: alert|drop_inactive},
// warn below limit; drop_inactive needs a limit.
bool read_retention(yaml_reader& r, const yaml_entry& e, model::retention_policy& into) {
  if (!e.value.IsMap()) {
    r.error(e.at(), e.path + " must be a map ({warn: 10GB, limit: 50GB}), not " + describe(e.value));
    return false;
  }
  bool ok = true;
  r.each_known_entry(e, keys::retention, [&](const yaml_entry& f) {
    if (f.key == "inactive_for") {
      if (auto d = r.duration(f, zero_duration::rejected))
        into.inactive_for = *d;
      else
        ok = false;
      return;
    }
    if (f.key == "action") {
      using enum model::retention_action;
      if (auto a = r.choice(f, {alert, drop_inactive}))
        into.action = *a;
      else
        ok = false;
      return;
    }
    auto text = r.string(f);
    if (!text) {
      ok = false;
      return;
    }
    auto size = parse_size(*text);
    if (!size.bytes) {
      r.error(f.at(), f.path + ": " + size.error);
      ok = false;
      return;
    }
    (f.key == "warn" ? into.warn : into.limit) = size.bytes;
  });
  if (ok && into.warn && into.limit && *into.warn >= *into.limit) {
    r.error(e.at(), e.path + ": warn must be below limit");
    ok = false;
  }
  if (ok && into.action == model::retention_action::drop_inactive && !into.limit) {
    r.error(e.at(), e.path + ": action drop_inactive needs a limit (the WAL kept at which the slot is dropped)");
    ok = false;
  }
  return ok;
}

// docs/slot-rules.md §3.2, with one deliberate difference: a map without
// `type` that has only one of database/plugin is an error here. Patroni makes
// it a physical slot, which is never what the person who wrote a plugin meant.
std::optional<model::permanent_slot> read_slot(yaml_reader& r, const yaml_entry& s) {
  model::permanent_slot slot;
  slot.name = s.key;
  if (s.value.IsNull()) // `archiver:` is a physical slot
    return slot;
  if (!s.value.IsMap()) {
    r.error(s.at(), s.path + " must be a map ({type: physical}, {type: logical, database: ..., plugin: ...})"
                             " or empty for a physical slot, not " + describe(s.value));
    return std::nullopt;
  }
  std::optional<slot_type> type;
  bool bad_type = false, bad_name = false;
  r.each_known_entry(s, keys::slot, [&](const yaml_entry& f) {
    if (f.key == "type") {
      type = read_slot_type(r, f);
      bad_type = !type;
    } else if (f.key == "database" || f.key == "plugin") {
      if (auto text = r.string(f)) {
        if (auto why = f.key == "database" ? bad_database_name(*text) : bad_plugin_name(*text)) {
          r.error(f.at(), f.path + ": " + *why);
          bad_name = true;
        } else
          (f.key == "database" ? slot.database : slot.plugin) = *text;
      }
    } else if (f.key == "retention") {
      bad_name = !read_retention(r, f, slot.retention) || bad_name;
    } else if (auto flag = r.boolean(f)) {
      slot.failover = *flag;
    }
  });
  if (bad_type || bad_name)
    return std::nullopt;

  const bool has_database = !slot.database.empty();
  const bool has_plugin = !slot.plugin.empty();
  if (!type && has_database != has_plugin) {
    r.error(s.key_mark, s.path + ": " + (has_database ? "database without plugin" : "plugin without database") +
                            " (a logical slot needs both; a physical slot neither)");
    return std::nullopt;
  }
  slot.type = type.value_or(has_database && has_plugin ? slot_type::logical : slot_type::physical);
  if (slot.type == slot_type::logical && !(has_database && has_plugin)) {
    r.error(s.key_mark, s.path + ": a logical slot needs " +
                            (has_database ? "a plugin" : has_plugin ? "a database" : "database and plugin"));
    return std::nullopt;
  }
  if (slot.type == slot_type::physical && (has_database || has_plugin)) {
    r.error(s.key_mark, s.path + ": database and plugin apply only to logical slots");
    return std::nullopt;
  }
  if (slot.type == slot_type::physical && slot.failover) {
    r.error(s.key_mark, s.path + ": failover applies only to logical slots");
    return std::nullopt;
  }
  return slot;
}

std::map<std::string, model::permanent_slot> read_slots(yaml_reader& r, const yaml_entry& e,
                                                        view_positions& positions) {
  std::map<std::string, model::permanent_slot> slots;
  r.each_entry(e.value, e.at(), e.path, [&](const yaml_entry& s) {
    positions.slots[s.key] = s.key_mark;
    const bool valid_name = model::is_valid_slot_name(s.key);
    if (!valid_name)
      r.error(s.key_mark, e.path + ": '" + s.key +
                              "' is not a valid slot name (1 to 63 characters of a-z, 0-9 and _)");
    auto slot = read_slot(r, s); // its own problems are worth reporting too
    if (slot && valid_name)
      slots.emplace(s.key, std::move(*slot));
  });
  return slots;
}

model::ignore_matcher read_ignore_matcher(yaml_reader& r, const yaml_entry& item) {
  model::ignore_matcher m;
  if (!item.value.IsMap()) {
    r.error(item.at(), item.path + " must be a map such as {name: adhoc}, not " + describe(item.value));
    return m;
  }
  r.each_known_entry(item, keys::ignore, [&](const yaml_entry& f) {
    if (f.value.IsNull()) // absent and empty both mean "any" (docs/slot-rules.md §2.3.7)
      return;
    std::optional<std::string> value;
    if (f.key == "type") {
      if (auto t = read_slot_type(r, f))
        value = std::string(model::to_string(*t));
    } else {
      value = r.string(f);
    }
    (f.key == "name" ? m.name : f.key == "type" ? m.type : f.key == "database" ? m.database : m.plugin) = value;
  });
  if (item.value.size() == 0)
    r.warning(item.at(), item.path + ": an empty matcher matches every slot: slotd will drop no slot");
  return m;
}

std::vector<model::ignore_matcher> read_ignore_slots(yaml_reader& r, const yaml_entry& e) {
  std::vector<model::ignore_matcher> matchers;
  if (e.value.IsNull())
    return matchers;
  if (!e.value.IsSequence()) {
    r.error(e.at(), e.path + " must be a list of maps such as - {name: adhoc}, not " + describe(e.value));
    return matchers;
  }
  for (std::size_t i = 0; i < e.value.size(); ++i) {
    YAML::Node item = e.value[i];
    std::string index = std::to_string(i);
    matchers.push_back(read_ignore_matcher(r, {index, item, item.Mark(), e.path + "[" + index + "]"}));
  }
  return matchers;
}

} // namespace

void read_cluster_key(yaml_reader& r, const yaml_entry& e, cluster_update& into, view_positions& positions) {
  if (e.key == "members")
    into.members = read_members(r, e, positions);
  else if (e.key == "slots")
    into.slots = read_slots(r, e, positions);
  else if (e.key == "ignore_slots")
    into.ignore_slots = read_ignore_slots(r, e);
  else if (e.key == "member_slots_ttl")
    // 0 turns retention of absent members' slots off
    // (docs/slot-rules.md §3.5 step 4).
    into.member_slots_ttl = r.duration(e, zero_duration::allowed);
  else if (e.key == "use_slots")
    into.use_slots = r.boolean(e);
}

void report_view_problems(yaml_reader& r, const model::cluster_view& view, std::string_view my_name,
                          const view_positions& positions, const YAML::Mark& name_at) {
  for (const view_problem& p : find_view_problems(view, my_name)) {
    const auto& marks = p.about == view_problem::subject::slot ? positions.slots : positions.members;
    auto found = marks.find(p.key);
    const YAML::Mark& at = p.about == view_problem::subject::own_name || found == marks.end() ? name_at : found->second;
    if (p.level == severity::error)
      r.error(at, p.message);
    else
      r.warning(at, p.message);
  }
}

} // namespace slotd::config
