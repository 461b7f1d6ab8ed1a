#include "config/file_checks.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

namespace slotd::config {

std::optional<std::string> data_dir_problem(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  auto problem = [&](const std::string& why) { return "postgresql.data_dir " + dir.string() + ": " + why; };
  std::error_code ec;
  auto st = fs::status(dir, ec);
  if (st.type() == fs::file_type::not_found)
    return problem("does not exist");
  if (ec)
    return problem("cannot read: " + ec.message());
  if (!fs::is_directory(st))
    return problem("is not a directory");
  // initdb writes PG_VERSION first; pg_ctl itself refuses a directory without it.
  auto version = fs::status(dir / "PG_VERSION", ec);
  if (version.type() == fs::file_type::not_found)
    return problem("is not a PostgreSQL data directory (it has no PG_VERSION file)");
  if (ec)
    return problem("cannot read: " + ec.message());
  if (!fs::is_regular_file(version))
    return problem("is not a PostgreSQL data directory (its PG_VERSION is not a file)");
  return std::nullopt;
}

std::optional<std::string> read_token_file(const std::string& path, std::string& error) {
  auto problem = [&](const std::string& why) {
    error = "api.token_file " + path + ": " + why;
    return std::nullopt;
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return problem("cannot read: it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return problem(std::string("cannot read: ") + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  constexpr const char* space = " \t\n\r\f\v";
  auto first = text.find_first_not_of(space);
  if (first == std::string::npos)
    return problem("is empty: put the bearer token in it");
  return text.substr(first, text.find_last_not_of(space) + 1 - first);
}

} // namespace slotd::config
