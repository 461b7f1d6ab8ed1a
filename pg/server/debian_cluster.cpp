#include "pg/server/debian_cluster.hpp"

#include <fstream>
#include <sstream>
#include <system_error>

#include "pg/server/text_lines.hpp"

namespace slotd::pg::server {

namespace fs = std::filesystem;

namespace {

// Names that go into a shell command as they are.
bool plain_name(const std::string& s) {
  return !s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
                           std::string::npos;
}

} // namespace

std::optional<std::string> data_directory_setting(std::string_view conf) {
  std::optional<std::string> out;
  for_each_line(conf, [&](std::string_view line) {
    auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line.substr(first, 14) != "data_directory")
      return;
    auto rest = line.substr(first + 14);
    auto eq = rest.find_first_not_of(" \t");
    if (eq == std::string_view::npos)
      return;
    if (rest[eq] == '=')
      rest = rest.substr(eq + 1);
    else if (eq == 0)
      return; // data_directory_xyz: another name
    auto q = rest.find_first_not_of(" \t");
    if (q == std::string_view::npos || rest[q] != '\'')
      return;
    auto close = rest.find('\'', q + 1);
    if (close == std::string_view::npos)
      return;
    out = std::string(rest.substr(q + 1, close - q - 1));
  });
  return out;
}

std::optional<debian_cluster> find_debian_cluster(const fs::path& data_dir, const fs::path& etc) {
  std::error_code ec;
  std::string major;
  {
    std::ifstream in(data_dir / "PG_VERSION");
    if (!in || !std::getline(in, major) || major.empty())
      return std::nullopt;
  }
  std::optional<debian_cluster> found;
  int matches = 0;
  auto versions = etc / major;
  for (fs::directory_iterator n(versions, ec), end; !ec && n != end; n.increment(ec)) {
    std::ifstream in(n->path() / "postgresql.conf");
    if (!in)
      continue;
    std::ostringstream text;
    text << in.rdbuf();
    auto dir = data_directory_setting(text.str());
    std::error_code ec2;
    if (!dir || !fs::equivalent(*dir, data_dir, ec2) || ec2)
      continue;
    debian_cluster c{major, n->path().filename().string()};
    if (!plain_name(c.version) || !plain_name(c.name) || c.name.front() == '-')
      continue;
    found = c;
    ++matches;
  }
  return matches == 1 ? found : std::nullopt;
}

std::string debian_start_conf(const debian_cluster& c, const fs::path& etc) {
  std::ifstream in(etc / c.version / c.name / "start.conf");
  std::string line, word = "auto";
  while (in && std::getline(in, line)) {
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#')
      continue;
    auto last = line.find_last_not_of(" \t\r");
    word = line.substr(first, last - first + 1);
    break;
  }
  return word;
}

server_commands debian_server_commands(const debian_cluster& c, std::string stop, std::string start,
                                       bool systemd_running, const std::string& start_conf) {
  server_commands out{std::move(stop), std::move(start), ""};
  if (!out.stop.empty() && !out.start.empty())
    return out;
  auto unit = "postgresql@" + c.version + "-" + c.name;
  if (systemd_running) {
    out.refusal = "postgresql.data_dir is Debian cluster " + c.version + "/" + c.name +
                  " and systemd runs here: set postgresql.stop_command and start_command to commands that go "
                  "through its unit " + unit + " (e.g. \"sudo -n systemctl stop " + unit + "\" with a sudoers rule); "
                  "pg_ctl or pg_ctlcluster run by slotd would move the server out of its unit";
    return out;
  }
  if (start_conf == "disabled") {
    out.refusal = "postgresql.data_dir is Debian cluster " + c.version + "/" + c.name +
                  ", whose start.conf is 'disabled': pg_ctlcluster would not start it again after a slot copy; "
                  "set postgresql.stop_command and start_command";
    return out;
  }
  if (out.stop.empty())
    out.stop = pg_ctlcluster_stop(c);
  if (out.start.empty())
    out.start = pg_ctlcluster_start(c);
  return out;
}

std::string pg_ctlcluster_stop(const debian_cluster& c) {
  return "pg_ctlcluster " + c.version + " " + c.name + " stop -m fast";
}

std::string pg_ctlcluster_start(const debian_cluster& c) { return "pg_ctlcluster " + c.version + " " + c.name + " start"; }

} // namespace slotd::pg::server
