#pragma once
// What a stopped server's data directory says about its end (GET
// /final-positions, docs/api.md): pg_controldata's cluster state and latest
// checkpoint (a clean shutdown's is the shutdown checkpoint), and the
// logical slots' state files as the shutdown checkpoint wrote them.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "pg/client/result.hpp"
#include "pg/model/promotion.hpp"
#include "pg/server/command.hpp"
#include "pg/types/lsn.hpp"

namespace slotd::pg::server {

struct control_data {
  std::string cluster_state;         // "shut down", "in production", ...
  std::optional<lsn> checkpoint;     // Latest checkpoint location
  bool clean_shutdown() const { return cluster_state == "shut down"; }
};

// pg_controldata -D DATA_DIR from bin_dir, in the C locale (its labels are
// translated otherwise).
command controldata_command(const std::filesystem::path& bin_dir, const std::filesystem::path& data_dir,
                            std::optional<std::string> run_as);

// Its output; an error when a line is missing.
result<control_data> parse_controldata(std::string_view output);

// global/pg_control itself, for a bin_dir without pg_controldata (a
// server-only install, such as the npm server packages): the cluster state
// (named as pg_controldata names it) and the latest checkpoint location. They
// are the first fields of ControlFileData, laid out alike from 12 to 18; the
// file's CRC-32C, which follows the struct (whose length differs between
// majors), is found and checked.
result<control_data> parse_control_file(std::string_view bytes);
// Blocking file read: run it on a blocking pool.
result<control_data> read_control_file(const std::filesystem::path& data_dir);

// pg_replslot/*/state of the data directory: the persistent logical slots'
// confirmed_flush and restart_lsn. A file that cannot be read or parsed is
// an error naming it (a slot left out would be handed over as unknown).
// Blocking file reads: run it on a blocking pool.
result<model::final_positions> read_logical_slot_files(const std::filesystem::path& data_dir);

} // namespace slotd::pg::server
