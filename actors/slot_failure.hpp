#pragma once
// Why a slot action failed, as a value between actors: the server's (or
// libpq's) error with its SQLSTATE, or one of slotd's own reasons. Actors
// decide by the reason and the SQLSTATE; only logs and replies print it.
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "pg/client/error.hpp"

namespace slotd::actors {

// slotd's own reasons for a slot action that did not happen.
enum class own_reason {
  not_dropped,     // drop: the slot exists, is not active, and was not dropped
  copy_in_use,     // create again on a replica: the invalid copy is active, so it stays
  deadline_passed, // final advance: the promote's deadline came before this slot
  position_unknown, // an advance that did not say where the slot got to
  no_answer,       // the actor that runs the action did not answer (`step`: the actor system's error)
  shutting_down,   // the agent is shutting down: not started
  file_copy_under_way, // a creation while a file copy holds the server: not started
};
std::string_view to_string(own_reason r);

struct slot_failure {
  std::variant<pg::error, own_reason> cause;
  // What slotd was doing when it failed ("dropping the invalid copy"); for
  // no_answer, the actor system's error. May be empty.
  std::string step;

  // The server's SQLSTATE ("" for slotd's own reasons and local libpq errors).
  std::string sqlstate() const;
  const pg::error* server_error() const { return std::get_if<pg::error>(&cause); }
  // "step: cause" ("no answer (error)" for no_answer), for logs and replies.
  std::string what() const;
};

} // namespace slotd::actors
