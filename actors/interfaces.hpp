#pragma once
// The typed interfaces of slotd's actors: the compiler checks every send.
// Messages an actor sends to itself (ticks, I/O completions) are in its
// private extension; the handles handed out are the narrow public ones.
#include <cstdint>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/messages.hpp"

namespace slotd::actors {

// What every actor answers (the api gateway merges these for GET /state).
using dump_actor = caf::typed_actor<caf::replies_to<dump_atom>::with<dump_reply>>;

using local_connection_actor = caf::typed_actor<           //
    caf::replies_to<snapshot_atom>::with<local_snapshot>,  //
    caf::replies_to<local_actions>::with<local_actions_result>,
    caf::replies_to<facts_atom>::with<local_facts>,
    caf::replies_to<snapshot_atom, details_atom>::with<local_snapshot>,
    caf::replies_to<dump_atom>::with<dump_reply>>;
using local_connection_private = local_connection_actor::extend<caf::reacts_to<io_done>>;

// standby_snapshot_atom: pg_log_standby_snapshot() on the leader (16+), so
// that a slot being created on this standby finds its starting point now.
using leader_connection_actor = caf::typed_actor<          //
    caf::reacts_to<leader_target>,                         //
    caf::reacts_to<standby_snapshot_atom>,                 //
    caf::replies_to<snapshot_atom>::with<leader_snapshot>, //
    caf::replies_to<fetch_slot_files>::with<fetched_slot_files>,
    caf::replies_to<dump_atom>::with<dump_reply>>;
using leader_connection_private = leader_connection_actor::extend<caf::reacts_to<io_done>>;

using advance_worker_actor = caf::typed_actor<                       //
    caf::reacts_to<advance_targets>,                                 //
    caf::reacts_to<clean_atom>,                                      //
    caf::replies_to<create_logical_request>::with<action_outcome>,   //
    caf::replies_to<final_advance_request>::with<final_advance_result>,
    caf::replies_to<dump_atom>::with<dump_reply>>;
using advance_worker_private =
    advance_worker_actor::extend<caf::reacts_to<io_done>, caf::reacts_to<retry_atom, std::uint64_t>>;

// From the HA loop to the slot copier: create these copies on this replica
// (copy_method create: no restart), each by the advance worker of its
// database. The copier answers each with copy_created.
struct create_order {
  struct slot_to_create {
    model::logical_create slot;
    advance_worker_actor worker;
    bool replace = false; // a re-copy: the invalid local copy is dropped first
  };
  std::vector<slot_to_create> slots;
};

// Copies logical slots from the leader. A file copy (copy_order): fetch and
// validate the state files, then stop the server, install them and make
// sure the server runs again. A copy by creation (create_order): the slot
// created on this replica, no restart.
// stop_atom answers (true) once no copy holds the server: a copy that has
// not stopped it yet is dropped, one that has is finished first.
using slot_copier_actor = caf::typed_actor<   //
    caf::reacts_to<copy_order>,               //
    caf::reacts_to<create_order>,             //
    caf::reacts_to<cancel_atom>,              //
    caf::replies_to<stop_atom>::with<bool>,   //
    caf::replies_to<dump_atom>::with<dump_reply>>;
using slot_copier_private =
    slot_copier_actor::extend<caf::reacts_to<io_done>, caf::reacts_to<retry_atom, std::uint64_t>>;

// members_from: repmgr: reads repmgr.nodes every loop_wait and hands the
// members to the HA loop (a cluster_update_request) when they change, and
// its standing (a members_source_report) when that changes.
using members_reader_actor = caf::typed_actor<caf::replies_to<dump_atom>::with<dump_reply>>;
using members_reader_private = members_reader_actor::extend<caf::reacts_to<io_done>,
                                                            caf::reacts_to<tick_atom, std::uint64_t>>;

// The actors the HA loop spawned or drives, for GET /state (each answers
// dump_atom) and for the agent's shutdown.
struct ha_helpers {
  local_connection_actor local;
  leader_connection_actor leader;
  slot_copier_actor copier;
  std::vector<advance_worker_actor> workers; // one per database
  members_reader_actor members;              // members_from: repmgr only

  // Every one of them, as dump_actor handles (a null one is left out).
  std::vector<dump_actor> dumpable() const {
    std::vector<dump_actor> out{caf::actor_cast<dump_actor>(local), caf::actor_cast<dump_actor>(leader),
                                caf::actor_cast<dump_actor>(copier)};
    for (auto& w : workers)
      out.push_back(caf::actor_cast<dump_actor>(w));
    if (members)
      out.push_back(caf::actor_cast<dump_actor>(members));
    return out;
  }
};

using ha_loop_actor = caf::typed_actor<                                    //
    caf::reacts_to<advance_report>,                                        //
    caf::reacts_to<copy_report>,                                           //
    caf::reacts_to<copy_created>,                                          //
    caf::replies_to<stop_atom>::with<bool>,                                //
    caf::reacts_to<config_reload>,                                         //
    caf::replies_to<follow_order>::with<demote_reply>,                     //
    caf::replies_to<promote_request>::with<promote_reply>,                 //
    caf::replies_to<cluster_update_request>::with<cluster_update_reply>,   //
    caf::reacts_to<members_source_report>,                                 //
    caf::replies_to<pause_request>::with<status_view>,                     //
    caf::replies_to<status_atom>::with<status_view>,                       //
    caf::replies_to<ready_atom>::with<readiness_view>,                     //
    caf::replies_to<candidate_atom>::with<candidate_view>,                  //
    caf::replies_to<final_atom>::with<final_positions_reply>,              //
    caf::replies_to<health_atom>::with<health_view>,                       //
    caf::replies_to<metrics_atom>::with<metrics_view>,                     //
    caf::replies_to<actors_atom>::with<ha_helpers>,                        //
    caf::replies_to<events_request>::with<events_reply>,                   //
    caf::replies_to<dump_atom>::with<dump_reply>>;
using ha_loop_private = ha_loop_actor::extend<caf::reacts_to<io_done>, caf::reacts_to<tick_atom, std::uint64_t>>;

using promote_handler_actor = caf::typed_actor<             //
    caf::replies_to<promote_request>::with<promote_reply>,  //
    caf::replies_to<demote_request>::with<demote_reply>,    //
    caf::replies_to<dump_atom>::with<dump_reply>>;

// The HTTP API's door to the actors: answers api_command with the typed
// reply of the actor that answered, or why there is none (app/api renders
// it). api_call is the same for a caller that is not an actor (the HTTP
// server on the I/O thread).
using api_gateway_actor = caf::typed_actor<                 //
    caf::replies_to<api_command>::with<api_answer>,         //
    caf::reacts_to<api_call>,                               //
    caf::replies_to<dump_atom>::with<dump_reply>>;

} // namespace slotd::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::ha_helpers)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slotd::actors::create_order)
