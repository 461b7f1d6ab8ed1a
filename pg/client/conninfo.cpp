#include "pg/client/conninfo.hpp"

#include "pg/client/libpq.hpp"

namespace slotd::pg {

namespace {
std::string quote(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "'";
}
} // namespace

result<std::string> conninfo_with(const std::string& base, const std::map<std::string, std::string>& overrides) {
  pg::error err;
  auto kv = libpq::parse_conninfo(base, &err);
  if (!kv)
    return err;
  for (auto& [k, v] : overrides)
    libpq::set_keyword(*kv, k, v);
  std::string out;
  for (auto& [k, v] : *kv) {
    if (v.empty())
      continue;
    if (!out.empty())
      out += ' ';
    out += k + "=" + quote(v);
  }
  return out;
}

std::optional<std::string> conninfo_get(const std::string& conninfo, const std::string& key) {
  auto kv = libpq::parse_conninfo(conninfo, nullptr);
  if (!kv)
    return std::nullopt;
  return libpq::get_keyword(*kv, key);
}

} // namespace slotd::pg
