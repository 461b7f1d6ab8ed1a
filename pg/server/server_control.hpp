#pragma once
// Stop/start the local PostgreSQL server around a slot copy: `pg_ctl` from
// bin_dir (stop -m fast -w / start -w -l LOG), or the configured shell
// commands (e.g. "systemctl stop postgresql@15-main"). Async, with a timeout.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "pg/server/command.hpp"

namespace slotd::pg::server {

struct server_options {
  std::filesystem::path bin_dir;  // where pg_ctl is
  std::filesystem::path data_dir;
  std::optional<std::filesystem::path> log_file; // pg_ctl start -l (keep logs outside the data dir)
  std::string stop_command;  // when set, run with /bin/sh -c instead of pg_ctl
  std::string start_command;
  std::optional<std::string> run_as; // tests run as root: "postgres"
  std::chrono::milliseconds stop_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds start_timeout{std::chrono::seconds(60)};
};

command stop_command(const server_options& o);
command start_command(const server_options& o);

boost::asio::awaitable<result<command_result>> stop_server(boost::asio::any_io_executor executor,
                                                           server_options options);
boost::asio::awaitable<result<command_result>> start_server(boost::asio::any_io_executor executor,
                                                            server_options options);

} // namespace slotd::pg::server
