#include "config/cluster_update.hpp"

#include "config/cluster_view_reader.hpp"
#include "config/keys.hpp"

namespace slotd::config {

void cluster_update::apply_to(model::cluster_view& view) const {
  if (members)
    view.members = *members;
  if (slots)
    view.slots = *slots;
  if (ignore_slots)
    view.ignore_slots = *ignore_slots;
  if (member_slots_ttl)
    view.member_slots_ttl = *member_slots_ttl;
  if (use_slots)
    view.use_slots = *use_slots;
}

void cluster_update::merge(const cluster_update& later) {
  if (later.members)
    members = later.members;
  if (later.slots)
    slots = later.slots;
  if (later.ignore_slots)
    ignore_slots = later.ignore_slots;
  if (later.member_slots_ttl)
    member_slots_ttl = later.member_slots_ttl;
  if (later.use_slots)
    use_slots = later.use_slots;
}

parse_result<cluster_update> parse_cluster_update(std::string_view text, std::string source_name) {
  yaml_reader reader(std::move(source_name), "in the cluster update", keys::cluster_update_homes);
  parse_result<cluster_update> result;
  cluster_update update;
  if (auto body = reader.parse_document(std::string(text))) {
    if (!body->IsMap()) {
      reader.error(body->Mark(), "the cluster update must be an object with any of " +
                                     yaml_reader::one_of(keys::cluster_update) + ", not " + describe(*body));
    } else {
      view_positions positions;
      reader.each_known_entry(*body, body->Mark(), "", keys::cluster_update,
                              [&](const yaml_entry& e) { read_cluster_key(reader, e, update, positions); });
    }
  }
  if (!reader.has_errors())
    result.value = std::move(update);
  result.diagnostics = reader.take_diagnostics();
  return result;
}

parse_result<model::cluster_view> apply_cluster_update(const model::cluster_view& view, const cluster_update& update,
                                                       std::string_view my_name, std::string source_name) {
  model::cluster_view next = view;
  update.apply_to(next);
  parse_result<model::cluster_view> result;
  bool failed = false;
  for (view_problem& p : find_view_problems(next, my_name)) {
    failed = failed || p.level == severity::error;
    result.diagnostics.push_back({source_name, 0, 0, std::move(p.message), p.level});
  }
  if (!failed)
    result.value = std::move(next);
  return result;
}

} // namespace slotd::config
