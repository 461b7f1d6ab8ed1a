#pragma once
// A fake HA loop for actor tests in virtual time (the promote handler's and
// the api gateway's): answers demote at once and promote after a delay (or
// never), reads at once (or never), and records what it was asked.
#include <chrono>
#include <optional>
#include <vector>

#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <nlohmann/json.hpp>

#include "actors/interfaces.hpp"

namespace slotd::testing_support {

using namespace slotd::actors;

// The promote the fake holds back until its timer fires (one fake per test).
inline caf::typed_response_promise<promote_reply>& pending_promote() {
  static caf::typed_response_promise<promote_reply> p;
  return p;
}

struct fake_ha_state {
  fake_ha_state() = default;
  int promotes = 0;
  int reads = 0;
  std::optional<follow_order> last_order;
  // Reads the fake never answers (kept so that nobody answers them).
  std::vector<caf::typed_response_promise<status_view>> unanswered;
};

struct fake_ha_options {
  std::chrono::milliseconds promote_delay{1000};
  bool silent = false;       // promote never answered
  bool silent_reads = false; // GET /status never answered
};

inline ha_loop_actor::behavior_type fake_ha(ha_loop_actor::stateful_pointer<fake_ha_state> self, fake_ha_options o,
                                            fake_ha_state* observed) {
  return {
      [=](advance_report&) {},
      [=](config_reload&) {},
      [=](follow_order& r) -> demote_reply {
        observed->last_order = r;
        return {refusal::none, "", "replica", r.leader};
      },
      [=](promote_request&) -> caf::result<promote_reply> {
        ++observed->promotes;
        auto rp = self->make_response_promise<promote_reply>();
        // The fake's timer: a dump_atom to itself delivers the reply.
        if (!o.silent)
          caf::delayed_anon_send(caf::actor_cast<ha_loop_actor>(self), o.promote_delay, dump_atom_v);
        self->state.promotes++;
        pending_promote() = rp;
        return rp;
      },
      [=](cluster_update_request&) -> cluster_update_reply { return {}; },
      [=](members_source_report&) {},
      [=](copy_report&) {},
      [=](copy_created&) {},
      [=](stop_atom) -> bool { return true; },
      [=](pause_request&) -> status_view { return {}; },
      [=](status_atom) -> caf::result<status_view> {
        ++observed->reads;
        if (o.silent_reads) {
          auto rp = self->make_response_promise<status_view>();
          observed->unanswered.push_back(rp);
          return rp;
        }
        status_view v;
        v.name = "node2";
        v.role = "replica";
        return v;
      },
      [=](ready_atom) -> readiness_view { return {}; },
      [=](candidate_atom) -> candidate_view { return {}; },
      [=](final_atom) -> final_positions_reply { return {}; },
      [=](health_atom) -> health_view { return {}; },
      [=](metrics_atom) -> metrics_view { return {}; },
      [=](actors_atom) -> ha_helpers { return {}; },
      [=](events_request&) -> events_reply { return {}; },
      [=](dump_atom) -> dump_reply {
        if (auto& rp = pending_promote(); rp.pending()) {
          promote_reply r;
          r.role = "primary";
          r.ready = {"cdc"};
          rp.deliver(std::move(r));
        }
        return {"fake", nlohmann::json::object()};
      },
  };
}

} // namespace slotd::testing_support
