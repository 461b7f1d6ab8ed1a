#include "pg/server/debian_cluster.hpp"

#include <fstream>
#include <sstream>
#include <system_error>

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
  std::size_t start = 0;
  while (start < conf.size()) {
    auto end = conf.find('\n', start);
    auto line = conf.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    start = end == std::string_view::npos ? conf.size() : end + 1;
    auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line.substr(first, 14) != "data_directory")
      continue;
    auto rest = line.substr(first + 14);
    auto eq = rest.find_first_not_of(" \t");
    if (eq == std::string_view::npos)
      continue;
    if (rest[eq] == '=')
      rest = rest.substr(eq + 1);
    else if (eq == 0)
      continue; // data_directory_xyz: another name
    auto q = rest.find_first_not_of(" \t");
    if (q == std::string_view::npos || rest[q] != '\'')
      continue;
    auto close = rest.find('\'', q + 1);
    if (close == std::string_view::npos)
      continue;
    out = std::string(rest.substr(q + 1, close - q - 1));
  }
  return out;
}

std::optional<debian_cluster> find_debian_cluster(const fs::path& data_dir, const fs::path& etc) {
  std::error_code ec;
  auto want = fs::weakly_canonical(data_dir, ec);
  if (ec)
    return std::nullopt;
  for (fs::directory_iterator v(etc, ec), end; !ec && v != end; v.increment(ec)) {
    if (!v->is_directory(ec))
      continue;
    for (fs::directory_iterator n(v->path(), ec); !ec && n != end; n.increment(ec)) {
      std::ifstream in(n->path() / "postgresql.conf");
      if (!in)
        continue;
      std::ostringstream text;
      text << in.rdbuf();
      auto dir = data_directory_setting(text.str());
      std::error_code ec2;
      debian_cluster c{v->path().filename().string(), n->path().filename().string()};
      if (dir && fs::weakly_canonical(*dir, ec2) == want && !ec2 && plain_name(c.version) && plain_name(c.name))
        return c;
    }
    ec.clear();
  }
  return std::nullopt;
}

std::string pg_ctlcluster_stop(const debian_cluster& c) {
  return "pg_ctlcluster " + c.version + " " + c.name + " stop -m fast";
}

std::string pg_ctlcluster_start(const debian_cluster& c) { return "pg_ctlcluster " + c.version + " " + c.name + " start"; }

} // namespace slotd::pg::server
