#pragma once
// Debian's PostgreSQL clusters (postgresql-common): the configuration lives
// in /etc/postgresql/VERSION/NAME, not in the data directory, so `pg_ctl
// start -D DATA_DIR` cannot start such a server; pg_ctlcluster can. When
// postgresql.stop_command / start_command are not set, slotd uses
// pg_ctlcluster for a data directory that is a Debian cluster's.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace slotd::pg::server {

struct debian_cluster {
  std::string version; // "15"
  std::string name;    // "main"
  friend bool operator==(const debian_cluster&, const debian_cluster&) = default;
};

// The data_directory setting of a postgresql.conf's text (the last one wins,
// as in PostgreSQL); nullopt when it is not set.
std::optional<std::string> data_directory_setting(std::string_view conf);

// The cluster under `etc` (/etc/postgresql) whose postgresql.conf names
// `data_dir` as its data_directory (the same directory, links resolved),
// of the major in data_dir/PG_VERSION. nullopt when none, or when more than
// one does (a backup of a configuration directory, say): then nothing is
// guessed. Reads small files: call it at start-up, not on the I/O thread.
std::optional<debian_cluster> find_debian_cluster(const std::filesystem::path& data_dir,
                                                  const std::filesystem::path& etc = "/etc/postgresql");

// start.conf of the cluster ("auto", "manual", "disabled"; "auto" when the
// file is missing, as pg_ctlcluster reads it).
std::string debian_start_conf(const debian_cluster& c, const std::filesystem::path& etc = "/etc/postgresql");

// What slotd stops and starts a Debian cluster with when the configuration
// leaves a command unset:
// - under a running systemd, pg_ctlcluster run as postgres starts the
//   server outside its postgresql@ unit (in slotd's), so no default: the
//   configuration must name the commands (e.g. through systemctl);
// - a cluster whose start.conf is "disabled" refuses pg_ctlcluster start:
//   no default either;
// - otherwise pg_ctlcluster, for each command not set.
struct server_commands {
  std::string stop;
  std::string start;
  std::string refusal; // non-empty: why slotd cannot choose (it does not run)
};
server_commands debian_server_commands(const debian_cluster& c, std::string stop, std::string start,
                                       bool systemd_running, const std::string& start_conf);

// The commands slotd runs for it (through /bin/sh -c).
std::string pg_ctlcluster_stop(const debian_cluster& c);
std::string pg_ctlcluster_start(const debian_cluster& c);

} // namespace slotd::pg::server
