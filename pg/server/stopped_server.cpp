#include "pg/server/stopped_server.hpp"

#include <fstream>
#include <sstream>
#include <system_error>

#include "pg/model/cluster_view.hpp"
#include "pg/server/text_lines.hpp"
#include "pg/slotfile/slot_state.hpp"

namespace slotd::pg::server {

namespace {

pg::error failure(std::string message) {
  pg::error e;
  e.call = "stopped server";
  e.message = std::move(message);
  return e;
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
    std::ifstream in(path, std::ios::binary);
    if (!in)
      return failure(path.string() + ": cannot read it");
    std::ostringstream bytes;
    bytes << in.rdbuf();
    auto state = slotfile::parse_slot_state(bytes.str());
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
