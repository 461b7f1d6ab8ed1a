#pragma once
// What failed, as the HA loop counts it: slotd_errors_total{kind}, and the
// `errors` of the state dump (docs/api.md). A failed slot action has the
// kind of its action (error_kind_of).
#include <string_view>

namespace slotd::model {

// A slot action of the local connection or an advance worker.
enum class slot_action { drop, create_physical, advance_physical, create_logical, set_standby_slots };

// Its name in logs ("create physical").
constexpr std::string_view to_string(slot_action a) {
  switch (a) {
  case slot_action::drop: return "drop";
  case slot_action::create_physical: return "create physical";
  case slot_action::advance_physical: return "advance physical";
  case slot_action::create_logical: return "create logical";
  case slot_action::set_standby_slots: return "set synchronized_standby_slots";
  }
  return "?";
}

enum class error_kind {
  config,  // a setting keeps slotd from its work (hot_standby_feedback off, no copy method)
  model,   // an error diagnostic of the slot rules (pg/model/diagnostic.hpp)
  local,   // the local server did not answer
  server,  // the local server is down after a slot copy
  copier,  // the slot copier did not answer
  copy,    // a slot copy failed
  create,  // a slot creation failed
  drop,    // a slot drop failed
  advance, // a slot advance failed
  set,     // setting synchronized_standby_slots failed
  worker,  // an advance worker failed or did not answer
};

// Its label in slotd_errors_total{kind}.
constexpr std::string_view to_string(error_kind k) {
  switch (k) {
  case error_kind::config: return "config";
  case error_kind::model: return "model";
  case error_kind::local: return "local";
  case error_kind::server: return "server";
  case error_kind::copier: return "copier";
  case error_kind::copy: return "copy";
  case error_kind::create: return "create";
  case error_kind::drop: return "drop";
  case error_kind::advance: return "advance";
  case error_kind::set: return "set";
  case error_kind::worker: return "worker";
  }
  return "?";
}

// The kind of a failed slot action.
constexpr error_kind error_kind_of(slot_action a) {
  switch (a) {
  case slot_action::drop: return error_kind::drop;
  case slot_action::create_physical:
  case slot_action::create_logical: return error_kind::create;
  case slot_action::advance_physical: return error_kind::advance;
  case slot_action::set_standby_slots: return error_kind::set;
  }
  return error_kind::model;
}

} // namespace slotd::model
