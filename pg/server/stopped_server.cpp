#include "pg/server/stopped_server.hpp"

#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>

#include "pg/model/cluster_view.hpp"
#include "pg/server/text_lines.hpp"
#include "pg/slotfile/crc32c.hpp"
#include "pg/slotfile/slot_state.hpp"

namespace slotd::pg::server {

namespace {

pg::error failure(std::string message) {
  pg::error e;
  e.call = "stopped server";
  e.message = std::move(message);
  return e;
}

// A whole file's bytes; nullopt when it cannot be opened.
std::optional<std::string> file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  return std::string{std::istreambuf_iterator<char>(in), {}};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

} // namespace

command controldata_command(const std::filesystem::path& bin_dir, const std::filesystem::path& data_dir,
                            std::optional<std::string> run_as) {
  command c;
  c.argv = {"env", "LC_ALL=C", (bin_dir / "pg_controldata").string(), "-D", data_dir.string()};
  c.run_as = std::move(run_as);
  c.timeout = std::chrono::seconds(4); // within the API's 5 s for a read
  return c;
}

result<control_data> parse_controldata(std::string_view output) {
  control_data out;
  bool state_seen = false;
  for_each_line(output, [&](std::string_view line) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
      return;
    auto key = trim(line.substr(0, colon));
    auto value = trim(line.substr(colon + 1));
    if (key == "Database cluster state") {
      out.cluster_state = std::string(value);
      state_seen = true;
    } else if (key == "Latest checkpoint location") {
      out.checkpoint = lsn::parse(value);
    }
  });
  if (!state_seen || !out.checkpoint)
    return failure("pg_controldata: no cluster state or latest checkpoint location in its output");
  return out;
}

namespace {

template <class T> T field_at(std::string_view bytes, std::size_t offset) {
  T v;
  std::memcpy(&v, bytes.data() + offset, sizeof v);
  return v;
}

// ControlFileData (src/include/catalog/pg_control.h, 12 to 18): uint64
// system_identifier; uint32 pg_control_version; uint32 catalog_version_no;
// DBState state; pg_time_t time (8-aligned); XLogRecPtr checkPoint.
constexpr std::size_t version_at = 8, state_at = 16, checkpoint_at = 32;
// The CRC-32C of the struct comes right after it: within the first KiB.
constexpr std::size_t crc_search_end = 1024;

// pg_controldata's dbState() names.
constexpr const char* state_names[] = {"starting up",       "shut down",           "shut down in recovery",
                                       "shutting down",     "in crash recovery",   "in archive recovery",
                                       "in production"};

} // namespace

result<control_data> parse_control_file(std::string_view bytes) {
  if (bytes.size() < crc_search_end + sizeof(std::uint32_t))
    return failure("pg_control: " + std::to_string(bytes.size()) + " bytes, too short");
  auto version = field_at<std::uint32_t>(bytes, version_at);
  if (version < 1200 || version >= 1900)
    return failure("pg_control: version " + std::to_string(version) + " is not one of PostgreSQL 12 to 18");
  bool crc_ok = false;
  for (std::size_t at = checkpoint_at + 8; at + sizeof(std::uint32_t) <= crc_search_end && !crc_ok; at += 4)
    crc_ok = slotfile::crc32c(bytes.substr(0, at)) == field_at<std::uint32_t>(bytes, at);
  if (!crc_ok)
    return failure("pg_control: no matching CRC-32C (a torn or foreign file)");
  auto state = field_at<std::uint32_t>(bytes, state_at);
  if (state >= std::size(state_names))
    return failure("pg_control: unknown cluster state " + std::to_string(state));
  control_data out;
  out.cluster_state = state_names[state];
  out.checkpoint = lsn(field_at<std::uint64_t>(bytes, checkpoint_at));
  return out;
}

result<control_data> read_control_file(const std::filesystem::path& data_dir) {
  auto path = data_dir / "global" / "pg_control";
  auto bytes = file_bytes(path);
  if (!bytes)
    return failure(path.string() + ": cannot read it");
  return parse_control_file(*bytes);
}

result<model::final_positions> read_logical_slot_files(const std::filesystem::path& data_dir) {
  model::final_positions out;
  std::error_code ec;
  auto dir = data_dir / "pg_replslot";
  std::filesystem::directory_iterator it(dir, ec);
  if (ec)
    return failure(dir.string() + ": " + ec.message());
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec)
      return failure(dir.string() + ": " + ec.message());
    auto name = it->path().filename().string();
    if (!model::is_valid_slot_name(name))
      continue; // not a slot (e.g. a slot being dropped, or slotd's staging)
    auto path = it->path() / "state";
    auto bytes = file_bytes(path);
    if (!bytes)
      return failure(path.string() + ": cannot read it");
    auto state = slotfile::parse_slot_state(*bytes);
    if (!state)
      return failure(path.string() + ": " + state.error().what());
    if (!state->is_logical() || state->persistency != static_cast<std::uint32_t>(slotfile::persistency::persistent) ||
        !state->confirmed_flush)
      continue;
    out[state->name] = {*state->confirmed_flush, state->restart_lsn, false};
  }
  return out;
}

} // namespace slotd::pg::server
