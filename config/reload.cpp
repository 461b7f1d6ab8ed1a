#include "config/reload.hpp"

namespace slotd::config {

std::vector<std::string> keys_needing_restart(const config& running, const config& reloaded) {
  std::vector<std::string> out;
  auto check = [&](bool same, const char* key) {
    if (!same)
      out.emplace_back(key);
  };
  const auto& a = running.postgresql;
  const auto& b = reloaded.postgresql;
  check(a.conninfo == b.conninfo, "postgresql.conninfo (the local connection and the running advance workers)");
  check(a.data_dir == b.data_dir, "postgresql.data_dir");
  check(a.bin_dir == b.bin_dir, "postgresql.bin_dir");
  check(a.stop_command == b.stop_command, "postgresql.stop_command");
  check(a.start_command == b.start_command, "postgresql.start_command");
  check(running.state_dir == reloaded.state_dir, "state_dir");
  check(running.members_from == reloaded.members_from, "members_from, ha_source");
  if (running.members_from.source == members_source::pg_auto_failover ||
      reloaded.members_from.source == members_source::pg_auto_failover)
    check(running.name == reloaded.name, "name (with ha_source: the pg_auto_failover node this agent follows)");
  check(running.log.level == reloaded.log.level, "log.level");
  check(running.log.format == reloaded.log.format, "log.format");
  check(running.log.audit_file == reloaded.log.audit_file, "log.audit_file");
  return out;
}

} // namespace slotd::config
