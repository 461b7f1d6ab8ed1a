// SIGHUP: which changed keys wait for a restart.
#include "config/reload.hpp"

#include <gtest/gtest.h>

namespace slotd::config {
namespace {

TEST(keys_needing_restart, lists_only_the_changed_keys_a_reload_cannot_apply) {
  config running;
  running.postgresql.data_dir = "/var/lib/postgresql/15/main";
  running.loop_wait = std::chrono::seconds(10);
  auto reloaded = running;
  EXPECT_TRUE(keys_needing_restart(running, reloaded).empty());
  reloaded.loop_wait = std::chrono::seconds(2); // applied at once
  reloaded.cluster.use_slots = false;           // applied at once
  reloaded.api.listen.port = 9000;              // reported by the API service
  EXPECT_TRUE(keys_needing_restart(running, reloaded).empty());
  reloaded.postgresql.data_dir = "/srv/pg";
  reloaded.postgresql.stop_command = "pg_ctlcluster 15 main stop";
  reloaded.log.level = log_level::debug;
  EXPECT_EQ(keys_needing_restart(running, reloaded),
            (std::vector<std::string>{"postgresql.data_dir", "postgresql.stop_command", "log.level"}));
}

TEST(keys_needing_restart, the_name_waits_for_a_restart_with_ha_source_only) {
  config running;
  running.name = "node1";
  auto reloaded = running;
  reloaded.name = "node2";
  EXPECT_TRUE(keys_needing_restart(running, reloaded).empty()) << "the name applies at once";
  running.name = "pgautofailover_standby_1";
  running.members_from.source = members_source::pg_auto_failover;
  running.members_from.monitor = "host=monitor";
  reloaded = running;
  reloaded.name = "pgautofailover_standby_2";
  EXPECT_EQ(keys_needing_restart(running, reloaded),
            (std::vector<std::string>{"name (with ha_source: the pg_auto_failover node this agent follows)"}));
  auto before = running; // members in the file, then ha_source and its name
  before.members_from = {};
  before.name = "node1";
  EXPECT_EQ(keys_needing_restart(before, running),
            (std::vector<std::string>{"members_from, ha_source",
                                      "name (with ha_source: the pg_auto_failover node this agent follows)"}));
  reloaded = running;
  reloaded.members_from.formation = "other";
  EXPECT_EQ(keys_needing_restart(running, reloaded), (std::vector<std::string>{"members_from, ha_source"}));
}

} // namespace
} // namespace slotd::config
