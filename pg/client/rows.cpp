#include "pg/client/rows.hpp"

#include <charconv>

#include <libpq-fe.h>

namespace slotd::pg {

namespace {

[[noreturn]] void throw_bad(const rows& rs, int row, int col, std::string_view type) {
  throw bad_value("column " + rs.column_name(col) + " row " + std::to_string(row) + ": '" +
                  std::string(rs.text(row, col)) + "' is not a valid " + std::string(type));
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

} // namespace

rows::rows(pg_result* result) : result_(result, [](pg_result* r) { PQclear(r); }) {}

int rows::size() const { return result_ ? PQntuples(result_.get()) : 0; }
int rows::columns() const { return result_ ? PQnfields(result_.get()) : 0; }

std::string rows::column_name(int col) const {
  const char* n = result_ ? PQfname(result_.get(), col) : nullptr;
  return n ? std::string(n) : "#" + std::to_string(col);
}

int rows::column_index(std::string_view name) const {
  for (int c = 0; c < columns(); ++c)
    if (name == PQfname(result_.get(), c))
      return c;
  return -1;
}

std::string rows::command_status() const { return result_ ? PQcmdStatus(result_.get()) : ""; }

bool rows::is_null(int row, int col) const {
  if (row < 0 || row >= size() || col < 0 || col >= columns())
    throw std::out_of_range("row " + std::to_string(row) + " column " + std::to_string(col) + " out of range");
  return PQgetisnull(result_.get(), row, col) == 1;
}

std::string_view rows::text(int row, int col) const {
  if (is_null(row, col))
    return {};
  return {PQgetvalue(result_.get(), row, col), static_cast<std::size_t>(PQgetlength(result_.get(), row, col))};
}

template <>
std::optional<std::string> rows::get<std::string>(int row, int col) const {
  if (is_null(row, col))
    return std::nullopt;
  return std::string(text(row, col));
}

template <>
std::optional<lsn> rows::get<lsn>(int row, int col) const {
  if (is_null(row, col))
    return std::nullopt;
  auto v = lsn::parse(text(row, col));
  if (!v)
    throw_bad(*this, row, col, "pg_lsn");
  return v;
}

template <>
std::optional<xid> rows::get<xid>(int row, int col) const {
  if (is_null(row, col))
    return std::nullopt;
  auto v = xid::parse(text(row, col));
  if (!v)
    throw_bad(*this, row, col, "xid");
  return v;
}

template <>
std::optional<std::int64_t> rows::get<std::int64_t>(int row, int col) const {
  if (is_null(row, col))
    return std::nullopt;
  auto t = text(row, col);
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc{} || end != t.data() + t.size())
    throw_bad(*this, row, col, "bigint");
  return v;
}

template <>
std::optional<int> rows::get<int>(int row, int col) const {
  auto v = get<std::int64_t>(row, col);
  if (!v)
    return std::nullopt;
  if (*v < INT32_MIN || *v > INT32_MAX)
    throw_bad(*this, row, col, "integer");
  return static_cast<int>(*v);
}

template <>
std::optional<bool> rows::get<bool>(int row, int col) const {
  if (is_null(row, col))
    return std::nullopt;
  auto t = text(row, col);
  if (t == "t" || t == "true" || t == "on")
    return true;
  if (t == "f" || t == "false" || t == "off")
    return false;
  throw_bad(*this, row, col, "boolean");
}

template <>
std::optional<bytea> rows::get<bytea>(int row, int col) const {
  if (is_null(row, col))
    return std::nullopt;
  auto v = decode_bytea_hex(text(row, col));
  if (!v)
    throw_bad(*this, row, col, "bytea (hex)");
  return bytea{std::move(*v)};
}

std::optional<std::string> decode_bytea_hex(std::string_view text) {
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0)
    return std::nullopt;
  std::string out;
  out.reserve((text.size() - 2) / 2);
  for (std::size_t i = 2; i < text.size(); i += 2) {
    int hi = hex_digit(text[i]);
    int lo = hex_digit(text[i + 1]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return out;
}

} // namespace slotd::pg
