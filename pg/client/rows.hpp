#pragma once
// A successful query result (a non-OK status never becomes `rows`: exec()
// turns it into a pg::error). Values are text-format; typed getters return
// std::optional so NULL is always explicit, and throw bad_value when the
// server sent something that is not a value of the asked type.
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "pg/types/lsn.hpp"
#include "pg/types/xid.hpp"

struct pg_result; // libpq's PGresult

namespace slotd::pg {

struct bad_value : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// bytea in text form ("\x0102..."), decoded.
struct bytea {
  std::string data;
};

class rows {
public:
  rows() = default;
  // Takes ownership (PQclear on last copy).
  explicit rows(pg_result* result);

  int size() const;
  int columns() const;
  bool empty() const { return size() == 0; }
  std::string column_name(int col) const;
  int column_index(std::string_view name) const; // -1 if absent
  std::string command_status() const;            // "SELECT 3", "CREATE ..."

  bool is_null(int row, int col) const;
  std::string_view text(int row, int col) const; // "" for NULL

  // T: std::string, pg::lsn, pg::xid, std::int64_t, int, bool, pg::bytea.
  template <class T>
  std::optional<T> get(int row, int col) const;

private:
  std::shared_ptr<pg_result> result_;
};

template <>
std::optional<std::string> rows::get<std::string>(int, int) const;
template <>
std::optional<lsn> rows::get<lsn>(int, int) const;
template <>
std::optional<xid> rows::get<xid>(int, int) const;
template <>
std::optional<std::int64_t> rows::get<std::int64_t>(int, int) const;
template <>
std::optional<int> rows::get<int>(int, int) const;
template <>
std::optional<bool> rows::get<bool>(int, int) const;
template <>
std::optional<bytea> rows::get<bytea>(int, int) const;

// Decode PostgreSQL's hex bytea output ("\x0a0b"); nullopt if malformed.
std::optional<std::string> decode_bytea_hex(std::string_view text);

} // namespace slotd::pg
