// The audit trail on real servers (docs/api.md GET /events, docs/operations.md
// "Audit trail"): a switchover drill leaves one event per change, each with
// the rule that decided it, in GET /events and, as the same JSON lines, in
// log.audit_file.
#include <fstream>

#include "tests/actors/agent_fixture.hpp"

namespace slotd::testing {
namespace {

// The events of `name` that match `pred`.
std::vector<json> matching(const json& page, const std::function<bool(const json&)>& pred) {
  std::vector<json> out;
  for (auto& e : page["events"])
    if (pred(e))
      out.push_back(e);
  return out;
}

auto action_on(const std::string& action, const std::string& slot) {
  return [=](const json& e) { return e["action"] == action && (slot.empty() || e["slot"] == slot); };
}

std::vector<json> file_lines(const fs::path& path) {
  std::vector<json> out;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    auto j = json::parse(line, nullptr, false);
    if (j.is_discarded())
      break; // a line still being written
    out.push_back(std::move(j));
  }
  return out;
}

bool lsn_lt(node& n, const json& a, const json& b) {
  return a.is_string() && b.is_string() &&
         n.scalar("SELECT '" + a.get<std::string>() + "'::pg_lsn < '" + b.get<std::string>() + "'::pg_lsn") == "t";
}

TEST(audit, a_switchover_drill_leaves_one_event_per_change_with_its_rule) {
  cluster c({.replicas = 2});
  auto& p = c.primary();
  auto& cand = c.replica(0);
  auto& other = c.replica(1);
  p.exec("CREATE TABLE t (id int primary key)", "app");
  model::permanent_slot archiver;
  archiver.name = "archiver";
  archiver.type = model::slot_type::physical;
  auto view = view_of(c, {logical_slot("cdc", "app", "test_decoding"), archiver});
  const auto audit_path = c.dir() / "node2-audit.jsonl";
  agents a;
  a.start(p, view);
  agent_options o;
  o.copy_method = model::copy_method_setting::file; // one restart to show; creation is tested on 16
  o.audit_file = audit_path.string();
  a.start(cand, view, o);
  a.start(other, view);
  ASSERT_TRUE(a.wait_ready("node2")) << a.readiness("node2").dump(2);
  ASSERT_TRUE(a.wait_ready("node3")) << a.readiness("node3").dump(2);

  // The primary created the permanent physical slot and the logical slot,
  // each by its rule (the replicas' slots were made with the replicas).
  auto primary = a.events("node1");
  EXPECT_EQ(primary["node"], "node1");
  EXPECT_FALSE(primary["run"].get<std::string>().empty());
  auto created = matching(primary, action_on("create", "archiver"));
  ASSERT_EQ(created.size(), 1u) << primary.dump(2);
  EXPECT_EQ(created[0]["rule"], "§2.3.12 Physical slots");
  EXPECT_EQ(created[0]["actor"], "local_connection");
  auto cdc = matching(primary, action_on("create", "cdc"));
  ASSERT_EQ(cdc.size(), 1u) << primary.dump(2);
  EXPECT_EQ(cdc[0]["rule"], "§2.3.14 Logical slots on the primary");
  EXPECT_EQ(cdc[0]["actor"], "advance_worker app");
  EXPECT_NE(cdc[0]["detail"].get<std::string>().find("test_decoding"), std::string::npos);

  // The replica copied it with one restart, each an event.
  auto replica = a.events("node2");
  auto copies = matching(replica, action_on("copy", "cdc"));
  ASSERT_EQ(copies.size(), 1u) << replica.dump(2);
  EXPECT_EQ(copies[0]["rule"], "§2.3.21 Copy");
  EXPECT_EQ(copies[0]["actor"], "slot_copier");
  EXPECT_NE(copies[0]["detail"].get<std::string>().find("node1"), std::string::npos) << copies[0].dump();
  auto restarts = matching(replica, [](const json& e) {
    return e["action"] == "restart" && e["detail"].get<std::string>().find("installed:") != std::string::npos;
  });
  ASSERT_EQ(restarts.size(), 1u) << replica.dump(2);
  EXPECT_NE(restarts[0]["detail"].get<std::string>().find("installed: cdc"), std::string::npos) << restarts[0].dump();
  EXPECT_LT(restarts[0]["seq"].get<std::uint64_t>(), copies[0]["seq"].get<std::uint64_t>());

  // A consumer moves the primary's slot: the copy's advance is an event,
  // from where it was to where it went.
  const auto before_rows = a.events("node2")["next"].get<std::uint64_t>();
  p.exec("INSERT INTO t SELECT generate_series(1, 100)", "app");
  p.query("SELECT data FROM pg_logical_slot_get_changes('cdc', NULL, NULL)", "app");
  json advance;
  ASSERT_TRUE(eventually([&] {
    auto adv = matching(a.events("node2", before_rows), action_on("advance", "cdc"));
    if (adv.empty())
      return false;
    advance = adv.front();
    return true;
  }, 20s)) << a.events("node2").dump(2);
  EXPECT_EQ(advance["rule"], "§4.5 Advancing");
  EXPECT_EQ(advance["actor"], "advance_worker app");
  EXPECT_EQ(advance["advances"], 1);
  ASSERT_TRUE(advance["after"].is_string()) << advance.dump();
  // `before` is null only when the snapshot it comes from was read after the advance.
  if (!advance["before"].is_null()) {
    EXPECT_TRUE(lsn_lt(p, advance["before"], advance["after"])) << advance.dump();
  }
  // The summary: further advances within the minute are not events yet.
  const auto after_first = advance["seq"].get<std::uint64_t>();
  p.exec("INSERT INTO t SELECT generate_series(101, 110)", "app");
  p.query("SELECT data FROM pg_logical_slot_get_changes('cdc', NULL, NULL)", "app");
  const auto cf = slot_attr(p, "cdc", "confirmed_flush_lsn").value();
  ASSERT_TRUE(eventually([&] { return slot_attr(cand, "cdc", "confirmed_flush_lsn") == cf; }, 20s));
  EXPECT_TRUE(matching(a.events("node2", after_first), action_on("advance", "cdc")).empty())
      << a.events("node2", after_first).dump(2);

  // A slot added and removed with PUT /cluster: the view change, the create
  // and the drop by rule 1, with the slot's position before.
  config::cluster_update add;
  add.slots = view.slots;
  (*add.slots)["extra"] = logical_slot("extra", "app", "test_decoding");
  ASSERT_EQ(a.update("node1", add).refused, actors::refusal::none);
  ASSERT_TRUE(eventually([&] { return slot_attr(p, "extra", "slot_name").has_value(); }, 20s));
  config::cluster_update remove;
  remove.slots = view.slots;
  ASSERT_EQ(a.update("node1", remove).refused, actors::refusal::none);
  ASSERT_TRUE(eventually([&] {
    return !matching(a.events("node1"), action_on("drop", "extra")).empty();
  }, 20s)) << a.events("node1").dump(2);
  primary = a.events("node1");
  auto changes = matching(primary, action_on("view_change", ""));
  ASSERT_EQ(changes.size(), 2u) << primary.dump(2);
  EXPECT_EQ(changes[0]["detail"], "PUT /cluster: slots added: extra");
  EXPECT_EQ(changes[1]["detail"], "PUT /cluster: slots removed: extra");
  EXPECT_EQ(changes[0]["rule"], "§1.4 Cluster view");
  auto drop = matching(primary, action_on("drop", "extra"));
  ASSERT_EQ(drop.size(), 1u);
  EXPECT_EQ(drop[0]["rule"], "§3.13 rule 1 (not desired)");
  EXPECT_TRUE(drop[0]["before"].is_string()) << drop[0].dump();
  EXPECT_LT(matching(primary, action_on("create", "extra")).at(0)["seq"], drop[0]["seq"]);

  // Switchover: the promote and the demote are events.
  p.exec("INSERT INTO t SELECT generate_series(111, 120)", "app");
  cand.wait_replay(p.current_lsn());
  p.stop_fast();
  const auto before_promote = a.events("node2")["next"].get<std::uint64_t>();
  auto reply = a.promote("node2");
  ASSERT_EQ(reply.refused, actors::refusal::none) << reply.error;
  cand.promote();
  ASSERT_EQ(a.demote("node3", "node2").refused, actors::refusal::none);
  other.follow(cand);
  auto promoted = matching(a.events("node2", before_promote), action_on("promote", ""));
  ASSERT_EQ(promoted.size(), 1u) << a.events("node2", before_promote).dump(2);
  EXPECT_EQ(promoted[0]["rule"], "§2.3.23 Promote");
  EXPECT_NE(promoted[0]["detail"].get<std::string>().find("ready: [cdc]"), std::string::npos) << promoted[0].dump();
  auto demoted = matching(a.events("node3"), action_on("demote", ""));
  ASSERT_EQ(demoted.size(), 1u);
  EXPECT_EQ(demoted[0]["detail"], "following node2 (was following node1)");

  // Numbered in order, each with its time and node; the file has the same
  // lines as GET /events (written by a thread of its own: waited for).
  auto all = a.events("node2");
  std::uint64_t last = 0;
  for (auto& e : all["events"]) {
    EXPECT_EQ(e["seq"].get<std::uint64_t>(), last + 1) << e.dump();
    last = e["seq"].get<std::uint64_t>();
    EXPECT_EQ(e["node"], "node2");
    EXPECT_FALSE(e["time"].get<std::string>().empty());
    EXPECT_FALSE(e["rule"].get<std::string>().empty()) << e.dump();
  }
  EXPECT_EQ(all["next"], last);
  EXPECT_EQ(all["missed"], 0);
  ASSERT_TRUE(eventually([&] { return file_lines(audit_path).size() >= all["events"].size(); }, 10s));
  auto lines = file_lines(audit_path);
  for (std::size_t i = 0; i < all["events"].size(); ++i)
    EXPECT_EQ(lines.at(i), all["events"][i]);
  // since: only what came after.
  auto tail = a.events("node2", last - 1);
  ASSERT_GE(tail["events"].size(), 1u);
  EXPECT_EQ(tail["events"][0]["seq"], last);
  EXPECT_EQ(tail["run"], all["run"]);
}

} // namespace
} // namespace slotd::testing
