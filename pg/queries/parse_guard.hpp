#pragma once
// Row parsing: a value of the wrong type from the server is a failure of the
// query (call "parse", the message naming `what`), not an exception for the
// caller.
#include <exception>
#include <string>

#include "pg/client/result.hpp"

namespace slotd::pg::queries {

template <class F>
auto parse_guarded(const char* what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& ex) {
    pg::error e;
    e.call = "parse";
    e.message = std::string(what) + ": " + ex.what();
    return e;
  }
}

} // namespace slotd::pg::queries
