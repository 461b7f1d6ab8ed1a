#include "actors/view_json.hpp"

#include "config/duration.hpp"
#include "config/size.hpp"

namespace slotd::actors {

using json = nlohmann::json;

json view_json(const model::cluster_view& view) {
  json members = json::object();
  for (auto& [name, m] : view.members) {
    json tags = json::object();
    if (m.tags.replicatefrom)
      tags["replicatefrom"] = *m.tags.replicatefrom;
    if (m.tags.nofailover)
      tags["nofailover"] = true;
    if (m.tags.nostream)
      tags["nostream"] = true;
    json jm = {{"host", m.host}, {"port", m.port}};
    if (!tags.empty())
      jm["tags"] = tags;
    if (m.xlog_location)
      jm["xlog_location"] = m.xlog_location->str();
    if (m.api)
      jm["api"] = *m.api;
    members[name] = jm;
  }
  json slots = json::object();
  for (auto& [name, s] : view.slots) {
    json js = {{"type", std::string(model::to_string(s.type))}};
    if (s.type == model::slot_type::logical) {
      js["database"] = s.database;
      js["plugin"] = s.plugin;
      if (s.failover)
        js["failover"] = true;
    }
    if (s.retention.warn || s.retention.limit) {
      json r = json::object();
      if (s.retention.warn)
        r["warn"] = config::format_size(*s.retention.warn);
      if (s.retention.limit)
        r["limit"] = config::format_size(*s.retention.limit);
      if (s.retention.action != model::retention_action::alert) {
        r["action"] = std::string(model::to_string(s.retention.action));
        r["inactive_for"] = config::format_duration(s.retention.inactive_for);
      }
      js["retention"] = r;
    }
    slots[name] = js;
  }
  json ignore = json::array();
  for (auto& m : view.ignore_slots) {
    json jm = json::object();
    if (m.name)
      jm["name"] = *m.name;
    if (m.type)
      jm["type"] = *m.type;
    if (m.database)
      jm["database"] = *m.database;
    if (m.plugin)
      jm["plugin"] = *m.plugin;
    ignore.push_back(jm);
  }
  auto ttl_ms = view.member_slots_ttl.count();
  std::string ttl = ttl_ms % 1000 == 0 ? std::to_string(ttl_ms / 1000) + "s" : std::to_string(ttl_ms) + "ms";
  return {{"members", members},
          {"slots", slots},
          {"ignore_slots", ignore},
          {"member_slots_ttl", ttl},
          {"use_slots", view.use_slots}};
}

} // namespace slotd::actors
