// The api gateway in virtual time, against a fake HA loop and the real
// promote handler: every command is answered, with the typed reply of the
// part that answered, or with an api_failure naming the part that did not
// (after its timeout, or at once when it is gone); a promote by its own
// deadline; GET /state with every actor's dump.
#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>

#include <optional>
#include <variant>

#include "actors/api_gateway.hpp"
#include "actors/interfaces.hpp"
#include "actors/spawn.hpp"
#include "fake_ha_loop.hpp"
#include "virtual_time.hpp"

using namespace slotd::actors;
using namespace std::chrono_literals;
using slotd::testing_support::fake_ha;
using slotd::testing_support::fake_ha_options;
using slotd::testing_support::fake_ha_state;

namespace {

struct api_gateway_virtual : slotd::testing_support::virtual_time_test {
  ~api_gateway_virtual() override {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sched.run();
  }

  // The fake HA loop, the promote handler and the gateway.
  void start(fake_ha_options o, api_timeouts t = {}) {
    ha = sys.spawn(fake_ha, o, &observed);
    ph = spawn_promote_handler(sys, ha);
    gw = spawn_api_gateway(sys, ha, ph, t);
    spawned = {caf::actor_cast<caf::actor>(ha), caf::actor_cast<caf::actor>(ph), caf::actor_cast<caf::actor>(gw)};
  }

  fake_ha_state observed;
  ha_loop_actor ha;
  promote_handler_actor ph;
  api_gateway_actor gw;
  std::vector<caf::actor> spawned;
};

} // namespace

TEST_F(api_gateway_virtual, a_read_is_answered_with_the_ha_loops_typed_view) {
  start({});
  auto out = answer<api_answer>(gw, api_command{api_read::status});
  auto* v = std::get_if<status_view>(&out);
  ASSERT_NE(v, nullptr) << "answer alternative " << out.index();
  EXPECT_EQ(v->name, "node2");
  EXPECT_EQ(v->role, "replica");
  EXPECT_EQ(observed.reads, 1);
}

TEST_F(api_gateway_virtual, a_silent_ha_loop_is_answered_unavailable_after_the_read_timeout) {
  fake_ha_options o;
  o.silent_reads = true;
  api_timeouts t;
  t.read = 5s;
  start(o, t);
  std::optional<api_answer> out;
  ask<api_answer>(gw, api_command{api_read::status}, out);
  sched.run();
  EXPECT_FALSE(out.has_value());
  sched.advance_time(4900ms);
  sched.run();
  EXPECT_FALSE(out.has_value()) << "answered before the read timeout";
  sched.advance_time(200ms);
  sched.run();
  ASSERT_TRUE(out.has_value()) << "no answer after the read timeout";
  auto* f = std::get_if<api_failure>(&*out);
  ASSERT_NE(f, nullptr) << "answer alternative " << out->index();
  EXPECT_EQ(f->refused, refusal::unavailable);
  EXPECT_NE(f->message.find("the HA loop did not answer"), std::string::npos) << f->message;
  auto dump = answer<dump_reply>(gw, dump_atom_v);
  EXPECT_EQ(dump.state["unanswered"], 1) << dump.state.dump();
  EXPECT_EQ(dump.state["in_flight"], 0) << dump.state.dump();
}

// The promote handler answers a promote that the HA loop leaves unanswered
// at the deadline plus its slack (4 s), before the gateway's own (6 s): the
// caller hears the handler's refusal, not a gateway timeout, and never
// later than the gateway's deadline for the command.
TEST_F(api_gateway_virtual, a_promote_is_answered_by_its_deadline_when_the_ha_loop_is_silent) {
  fake_ha_options o;
  o.silent = true;
  start(o);
  api_command cmd{promote_request{2s}};
  EXPECT_EQ(gateway_deadline(cmd), 8s);
  std::optional<api_answer> out;
  ask<api_answer>(gw, cmd, out);
  sched.run();
  EXPECT_EQ(observed.promotes, 1);
  sched.advance_time(5900ms);
  sched.run();
  EXPECT_FALSE(out.has_value()) << "answered before the deadline and the handler's slack";
  sched.advance_time(200ms);
  sched.run();
  ASSERT_TRUE(out.has_value());
  auto* r = std::get_if<promote_reply>(&*out);
  ASSERT_NE(r, nullptr) << "answer alternative " << out->index();
  EXPECT_EQ(r->refused, refusal::unavailable);
  EXPECT_NE(r->error.find("did not answer"), std::string::npos) << r->error;
}

TEST_F(api_gateway_virtual, a_part_that_is_gone_is_answered_unavailable_at_once) {
  start({});
  caf::anon_send_exit(ph, caf::exit_reason::kill);
  sched.run();
  auto out = answer<api_answer>(gw, api_command{demote_request{"node1"}});
  auto* f = std::get_if<api_failure>(&out);
  ASSERT_NE(f, nullptr) << "answer alternative " << out.index();
  EXPECT_EQ(f->refused, refusal::unavailable);
  EXPECT_NE(f->message.find("the promote handler did not answer"), std::string::npos) << f->message;
  EXPECT_FALSE(observed.last_order.has_value()) << "nothing reached the HA loop";
}

TEST_F(api_gateway_virtual, state_gathers_every_actors_dump) {
  start({});
  auto out = answer<api_answer>(gw, api_command{api_read::state});
  auto* s = std::get_if<state_reply>(&out);
  ASSERT_NE(s, nullptr) << "answer alternative " << out.index();
  for (auto name : {"fake", "promote_handler", "api_gateway"})
    EXPECT_TRUE(s->dumps.contains(name)) << name << " missing: " << s->dumps.dump();
  EXPECT_EQ(s->dumps["api_gateway"]["requests"]["state"], 1) << s->dumps.dump();
}
