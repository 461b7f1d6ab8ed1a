#pragma once
// Real slot state files (tests/pg/slotfile/data/pgNN.slot, written by
// tests/pg/slotfile/data/capture): the bytes of pg_replslot/cdc/state of each
// major and what pg_replication_slots said about that slot at the time.
// Also what each major's file looks like, for checks against live servers.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

#include "pg/slotfile/slot_state.hpp"

namespace slotd::pg::slotfile::testing {

// Size and version of the state file each major writes, and which optional
// fields it has (pinned by the fixtures of every major 12-18).
struct major_layout {
  std::size_t size;
  std::uint32_t version;
  bool has_invalidated; // 13+
  bool has_two_phase;   // 14+
  bool has_failover;    // 17+ (failover and synced)
};

inline major_layout layout_of_major(int major) {
  if (major <= 12)
    return {176, 2, false, false, false};
  if (major == 13)
    return {184, 2, true, false, false};
  if (major <= 15)
    return {200, 2, true, true, false};
  if (major == 16)
    return {200, 3, true, true, false};
  return {200, 5, true, true, true};
}

// Compares a parsed file with pg_replication_slots' view of the same slot
// (`columns`: slot_name, plugin, datoid, restart_lsn, confirmed_flush_lsn,
// catalog_xmin, and two_phase/failover/synced where the major has them).
// Returns what differs, empty when everything matches.
inline std::string compare_with_columns(const slot_state& s, const std::map<std::string, std::string>& columns,
                                        int major) {
  std::string diff;
  auto check = [&](const char* column, const std::string& parsed) {
    auto it = columns.find(column);
    std::string want = it == columns.end() ? "(missing)" : it->second;
    if (want != parsed)
      diff += std::string(column) + ": file says '" + parsed + "', pg_replication_slots says '" + want + "'\n";
  };
  auto text = [](const std::optional<bool>& b) { return b ? (*b ? "true" : "false") : "(absent)"; };
  auto layout = layout_of_major(major);
  check("slot_name", s.name);
  check("plugin", s.plugin.value_or("(absent)"));
  check("datoid", std::to_string(s.database));
  check("restart_lsn", s.restart_lsn.str());
  check("confirmed_flush_lsn", s.confirmed_flush ? s.confirmed_flush->str() : "(absent)");
  check("catalog_xmin", std::to_string(s.catalog_xmin.value()));
  if (layout.has_two_phase)
    check("two_phase", text(s.two_phase));
  else if (s.two_phase)
    diff += "two_phase: present in a major " + std::to_string(major) + " file\n";
  if (layout.has_failover) {
    check("failover", text(s.failover));
    check("synced", text(s.synced));
  } else if (s.failover || s.synced) {
    diff += "failover/synced: present in a major " + std::to_string(major) + " file\n";
  }
  if (layout.has_invalidated != s.invalidated.has_value())
    diff += "invalidated: " + std::string(text(s.invalidated)) + " in a major " + std::to_string(major) + " file\n";
  if (s.invalidated.value_or(false))
    diff += "invalidated: the slot is not invalidated\n";
  if (s.version != layout.version)
    diff += "version " + std::to_string(s.version) + ", expected " + std::to_string(layout.version) + "\n";
  if (s.length + header_size != layout.size)
    diff += "size " + std::to_string(s.length + header_size) + ", expected " + std::to_string(layout.size) + "\n";
  return diff;
}

struct slot_fixture {
  int major = 0;
  std::map<std::string, std::string> columns; // pg_replication_slots
  std::string state;                          // the file's bytes
};

inline std::filesystem::path fixture_dir() {
  // CMake compiles sources by absolute path; SLOTD_SOURCE_DIR (set by ctest)
  // is the fallback.
  std::filesystem::path here = std::filesystem::path(__FILE__).parent_path() / "data";
  if (std::filesystem::exists(here))
    return here;
  const char* src = std::getenv("SLOTD_SOURCE_DIR");
  return std::filesystem::path(src ? src : ".") / "tests/pg/slotfile/data";
}

inline std::string from_hex(const std::string& hex) {
  if (hex.size() % 2 != 0)
    throw std::runtime_error("odd number of hex digits");
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

inline slot_fixture load_fixture(int major) {
  auto path = fixture_dir() / ("pg" + std::to_string(major) + ".slot");
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("cannot read " + path.string());
  slot_fixture f;
  f.major = major;
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos)
      continue;
    f.columns[line.substr(0, eq)] = line.substr(eq + 1);
  }
  f.state = from_hex(f.columns["state"]);
  f.columns.erase("state");
  return f;
}

} // namespace slotd::pg::slotfile::testing
