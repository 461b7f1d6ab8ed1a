#pragma once
// PUT /cluster (docs/api.md): a JSON body with the same shapes as the
// cluster-view keys of slotd.yaml. A key that is present replaces that key
// whole; absent keys stay as they are. yaml-cpp reads JSON, so the body goes
// through the same readers as the config file and gets the same messages.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.hpp"
#include "pg/model/cluster_view.hpp"

namespace slotd::config {

struct cluster_update {
  std::optional<std::map<std::string, model::member>> members;
  std::optional<std::map<std::string, model::permanent_slot>> slots;
  std::optional<std::vector<model::ignore_matcher>> ignore_slots;
  std::optional<std::chrono::milliseconds> member_slots_ttl;
  std::optional<bool> use_slots;

  // Replaces in `view` each part that is present here.
  void apply_to(model::cluster_view& view) const;
  // Each part present in `later` replaces this one's (updates accumulated
  // one after the other: what PUT /cluster has set, kept over SIGHUP).
  void merge(const cluster_update& later);
  friend bool operator==(const cluster_update&, const cluster_update&) = default;
};

// Checks each key on its own (shapes, names, durations, unknown keys) and
// reports positions as SOURCE:LINE:COL. Problems across keys (a logical slot
// named like a member's slot) need the running view: see apply_cluster_update.
parse_result<cluster_update> parse_cluster_update(std::string_view text, std::string source_name);

// The running view with `update` applied, checked as a whole with
// find_view_problems (my_name: this agent's name). On errors the value is
// absent and the caller keeps its view; diagnostics carry no position.
parse_result<model::cluster_view> apply_cluster_update(const model::cluster_view& view, const cluster_update& update,
                                                       std::string_view my_name, std::string source_name);

} // namespace slotd::config
