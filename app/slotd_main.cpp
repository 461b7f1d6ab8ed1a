// slotd: the agent that keeps replication slots right across failovers.
#include <unistd.h>

#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "app/run_agent.hpp"
#include "config/load.hpp"
#include "slotd/version.hpp"

namespace {

constexpr std::string_view usage = R"(Usage: slotd -c FILE [--check-config]
       slotd --help | --version

Keeps PostgreSQL replication slots right across failovers, driven by the
promote/demote messages of an HA manager. One slotd runs beside each server.

Options:
  -c, --config FILE  the configuration (slotd.yaml; see config/example.yaml)
  --check-config     validate the configuration and exit: prints
                     "FILE: configuration is valid" (exit 0) or each problem
                     as FILE:LINE:COL: message (exit 2). Also checks the
                     paths it names: postgresql.data_dir must be a data
                     directory (with PG_VERSION), api.token_file (when set)
                     must hold a token
  -h, --help         print this help and exit
  -V, --version      print the version and exit

slotd -c FILE validates the configuration as --check-config does (exit 2 on
errors) and refuses to run as root (exit 1): run it as the user that owns
the data directory. Then it serves the HTTP API on api.listen (default
127.0.0.1:8010; exit 1 when it cannot listen there; see slotctl --help) and
runs until SIGTERM or SIGINT (clean shutdown). SIGHUP re-reads FILE
(cluster-view keys set through the API stay in force; api.listen, log.*,
state_dir and postgresql.* other than the leader connection and use_slots
need a restart,
and a changed one is logged) and the token in api.token_file (an unreadable file keeps the
current token); SIGUSR1 prints the state of every actor as JSON on stdout.
SIGTERM during a slot copy waits (up to 330 s) for its restart to finish (a
server down after failed starts gets one more start); a server still down
then is started by the next slotd (the record below).

Faults: before it stops the server for a slot copy, slotd writes a record in
state_dir (default <data_dir>.slotd); a slotd started after a crash finds it
and starts the server. A failed core actor ends slotd with exit 1 (let the
service manager restart it). SLOTD_FAULT_KILL_AT (tests only) makes slotd
kill itself at a named point of a copy.
)";

// Exit codes: 0 ok, 1 cannot run, 2 bad usage or bad configuration.
constexpr int exit_cannot_run = 1;
constexpr int exit_bad_config = 2;

struct options {
  std::optional<std::string> config_file;
  bool check_only = false;
};

} // namespace

int main(int argc, char** argv) {
  options opts;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << usage;
      return 0;
    }
    if (arg == "-V" || arg == "--version") {
      std::cout << "slotd " << slotd::version << '\n';
      return 0;
    }
    if (arg == "--check-config") {
      opts.check_only = true;
    } else if (arg == "-c" || arg == "--config") {
      if (i + 1 == argc) {
        std::cerr << "slotd: " << arg << " needs a file name (see slotd --help)\n";
        return exit_bad_config;
      }
      opts.config_file = argv[++i];
    } else if (arg.starts_with("--config=")) {
      opts.config_file = std::string(arg.substr(std::string_view("--config=").size()));
    } else {
      std::cerr << "slotd: unknown option '" << arg << "' (see slotd --help)\n";
      return exit_bad_config;
    }
  }
  if (!opts.config_file) {
    std::cerr << "slotd: no configuration file: use -c FILE (see slotd --help)\n";
    return exit_bad_config;
  }

  // The paths too, in both modes: a wrong data_dir would otherwise show only
  // at the first slot copy, and a wrong token file as an exit without position.
  auto loaded = slotd::config::load(*opts.config_file, slotd::config::check_scope::files);
  for (const auto& d : loaded.diagnostics)
    std::cerr << slotd::config::to_string(d) << '\n';
  if (!loaded.ok())
    return exit_bad_config;
  if (opts.check_only) {
    std::cout << *opts.config_file << ": configuration is valid\n";
    return 0;
  }

  // docs/configuration.md, "Running slotd": pg_ctl refuses root, and slot
  // files installed into the data directory must belong to the server's user.
  if (geteuid() == 0) {
    std::cerr << "slotd: refusing to run as root: run slotd as the OS user that owns the data directory"
                 " (usually postgres); pg_ctl refuses root and installed slot files must belong to that user\n";
    return exit_cannot_run;
  }
  return slotd::app::run_agent(*loaded.value, *opts.config_file);
}
