#include "pg/client/error.hpp"

namespace slotd::pg {

std::string error::what() const {
  std::string out = call.empty() ? std::string("pg") : call;
  out += ": ";
  if (!sqlstate.empty()) {
    out += '[';
    out += sqlstate;
    out += "] ";
  }
  out += message.empty() ? std::string("unknown error") : message;
  if (!detail.empty()) {
    out += " (";
    out += detail;
    out += ')';
  }
  return out;
}

bool is_undefined_file(const error& e) { return e.sqlstate == "58P01"; }

bool is_connection_failure(const error& e) {
  if (e.connection_lost || e.sqlstate.starts_with("08"))
    return true;
  // libpq reports local failures without a SQLSTATE; these texts are stable
  // across libpq 12-18.
  constexpr std::string_view lost[] = {"server closed the connection unexpectedly", "connection to server",
                                       "no connection to the server", "could not connect",
                                       "could not send data to server", "could not receive data from server"};
  if (!e.sqlstate.empty())
    return false;
  for (auto text : lost)
    if (e.message.find(text) != std::string::npos)
      return true;
  return false;
}

} // namespace slotd::pg
