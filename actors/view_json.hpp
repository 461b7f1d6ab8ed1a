#pragma once
// The cluster view as JSON, in the shapes of slotd.yaml: what GET /state
// shows and PUT /cluster answers (app/api renders the reply with it).
#include <nlohmann/json.hpp>

#include "pg/model/cluster_view.hpp"

namespace slotd::actors {

nlohmann::json view_json(const model::cluster_view& view);

} // namespace slotd::actors
