#include "pg/queries/pgaf_nodes.hpp"

#include "pg/queries/parse_guard.hpp"

namespace slotd::pg::queries {

namespace {

// $tag$value$tag$ with a tag the value does not contain: no escaping, and
// the same meaning whatever standard_conforming_strings is.
std::string dollar_quoted(const std::string& value) {
  std::string tag = "$f$";
  for (int i = 0; value.find(tag) != std::string::npos || value.ends_with(tag.substr(0, tag.size() - 1)); ++i)
    tag = "$f" + std::to_string(i) + "$";
  return tag + value + tag;
}

} // namespace

std::vector<std::string> pgaf_nodes_batch(const std::string& formation) {
  return {"LISTEN \"state\"",
          "SELECT nodeid, groupid, nodename, nodehost, nodeport, goalstate::text, reportedstate::text "
          "FROM pgautofailover.node WHERE formationid = " +
              dollar_quoted(formation) + " ORDER BY nodeid"};
}

result<std::vector<model::pgaf_node>> parse_pgaf_nodes(const rows& r) {
  return parse_guarded("pgautofailover.node", [&]() -> result<std::vector<model::pgaf_node>> {
    std::vector<model::pgaf_node> out;
    for (int i = 0; i < r.size(); ++i) {
      model::pgaf_node n;
      n.node_id = r.get<std::int64_t>(i, 0).value_or(0);
      n.group_id = r.get<int>(i, 1).value_or(0);
      n.node_name = r.get<std::string>(i, 2).value_or("");
      n.host = r.get<std::string>(i, 3).value_or("");
      n.port = r.get<int>(i, 4).value_or(0);
      n.goal_state = r.get<std::string>(i, 5).value_or("");
      n.reported_state = r.get<std::string>(i, 6).value_or("");
      out.push_back(std::move(n));
    }
    return out;
  });
}

} // namespace slotd::pg::queries
