#pragma once
// Actor tests in virtual time: an actor system on CAF's test coordinator
// (nothing runs until the test says so; delayed messages wait for
// advance_time) and a way to ask an actor from the test.
#include <chrono>
#include <optional>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <gtest/gtest.h>

namespace slotd::testing_support {

struct virtual_time_test : ::testing::Test {
  static caf::actor_system_config& config() {
    static caf::actor_system_config cfg = [] {
      caf::actor_system_config c;
      c.set("scheduler.policy", caf::atom("testing"));
      return c;
    }();
    return cfg;
  }

  virtual_time_test() : sys(config()), sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {}

  // Send `msg` to `to` from a fresh actor; the reply lands in `out`.
  template <class Reply, class Handle, class Msg>
  void ask(Handle to, Msg msg, std::optional<Reply>& out) {
    sys.spawn([to, msg, &out](caf::event_based_actor* self) {
      self->request(to, std::chrono::minutes(5), msg).then([&out](Reply& r) { out = std::move(r); });
    });
  }

  // Ask and run until the reply is in; a test failure (and Reply{}) when
  // none comes.
  template <class Reply, class Handle, class Msg>
  Reply answer(Handle to, Msg msg) {
    std::optional<Reply> out;
    ask<Reply>(to, std::move(msg), out);
    sched.run();
    EXPECT_TRUE(out.has_value()) << "no reply";
    return out.value_or(Reply{});
  }

  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
};

} // namespace slotd::testing_support
