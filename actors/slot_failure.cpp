#include "actors/slot_failure.hpp"

namespace slotd::actors {

std::string_view to_string(own_reason r) {
  switch (r) {
  case own_reason::not_dropped: return "not dropped (it exists and is not active)";
  case own_reason::copy_in_use: return "the invalid copy is still there (a consumer uses it): not created again";
  case own_reason::deadline_passed: return "promote timeout reached before this slot";
  case own_reason::position_unknown: return "advanced, but the server did not say to which position";
  case own_reason::no_answer: return "no answer";
  case own_reason::shutting_down: return "the agent is shutting down";
  case own_reason::file_copy_under_way: return "a file copy holds the server";
  }
  return "failed";
}

std::string slot_failure::sqlstate() const {
  auto* e = server_error();
  return e ? e->sqlstate : std::string();
}

std::string slot_failure::what() const {
  auto* e = server_error();
  std::string cause_text = e ? e->what() : std::string(to_string(std::get<own_reason>(cause)));
  if (step.empty())
    return cause_text;
  if (!e && std::get<own_reason>(cause) == own_reason::no_answer)
    return cause_text + " (" + step + ")";
  return step + ": " + cause_text;
}

} // namespace slotd::actors
