#pragma once
// Builds a pg::rows without a server (PQmakeEmptyPGresult + PQsetvalue), for
// parser unit tests.
#include <optional>
#include <string>
#include <vector>

#include <libpq-fe.h>

#include "pg/client/rows.hpp"

namespace slotd::pg::testing {

inline rows fake_rows(const std::vector<std::string>& columns,
                      const std::vector<std::vector<std::optional<std::string>>>& data) {
  PGresult* r = PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK);
  std::vector<PGresAttDesc> attrs(columns.size());
  for (std::size_t i = 0; i < columns.size(); ++i) {
    attrs[i] = PGresAttDesc{};
    attrs[i].name = const_cast<char*>(columns[i].c_str());
    attrs[i].typid = 25; // text
    attrs[i].typlen = -1;
    attrs[i].atttypmod = -1;
  }
  PQsetResultAttrs(r, static_cast<int>(attrs.size()), attrs.data());
  for (std::size_t row = 0; row < data.size(); ++row)
    for (std::size_t col = 0; col < data[row].size(); ++col) {
      const auto& v = data[row][col];
      PQsetvalue(r, static_cast<int>(row), static_cast<int>(col), v ? const_cast<char*>(v->c_str()) : nullptr,
                 v ? static_cast<int>(v->size()) : -1);
    }
  return rows(r);
}

} // namespace slotd::pg::testing
