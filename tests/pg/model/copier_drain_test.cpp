// The slot copier's shutdown rule (pg/model/copier_drain.hpp).
#include <gtest/gtest.h>

#include "pg/model/copier_drain.hpp"

namespace slotd::model {
namespace {

TEST(CopierShutdown, AnswersAtOnceOnlyWhenNoCopyHoldsTheServer) {
  EXPECT_EQ(on_shutdown(copier_activity::idle, false), shutdown_step::answer);
  EXPECT_EQ(on_shutdown(copier_activity::fetching, false), shutdown_step::wait)
      << "the fetch is cancelled; its report answers";
  EXPECT_EQ(on_shutdown(copier_activity::restarting, false), shutdown_step::wait) << "a stopped server is started first";
  EXPECT_EQ(on_shutdown(copier_activity::server_down, false), shutdown_step::start_then_answer)
      << "between two attempts: one more now, not after the backoff";
  EXPECT_EQ(on_shutdown(copier_activity::server_down, true), shutdown_step::wait)
      << "an attempt under way: not a second one beside it";
}

TEST(CopierShutdown, AFailedStartIsRetriedWithBackoffUnlessShuttingDown) {
  EXPECT_EQ(after_failed_start(false, false), failed_start_step::retry_later);
  EXPECT_EQ(after_failed_start(false, true), failed_start_step::retry_later);
  EXPECT_EQ(after_failed_start(true, false), failed_start_step::start_again)
      << "the attempt began before the shutdown: one that begins after it";
  EXPECT_EQ(after_failed_start(true, true), failed_start_step::answer) << "no endless retries at shutdown";
}

// Plays the copier's two calls the way actors/slot_copier.cpp makes them,
// with every start failing: from each activity (and with or without an
// attempt running), the shutdown is answered, after at most two attempts,
// and a server that was already down got one attempt that began after the
// shutdown was asked (a restart under way counts its own attempts).
TEST(CopierShutdown, EveryShutdownEndsAndADownServerGetsAnAttemptMadeAfterIt) {
  for (auto activity : {copier_activity::idle, copier_activity::fetching, copier_activity::restarting,
                        copier_activity::server_down})
    for (bool running : {false, true}) {
      if (running && activity != copier_activity::server_down)
        continue; // only a down server has start retries
      SCOPED_TRACE(testing::Message() << "activity " << int(activity) << ", start running " << running);
      int after = 0; // attempts begun after the shutdown
      bool started_since = false;
      bool answered = false;
      bool pending = false; // an attempt (or the restart) whose result is awaited
      switch (on_shutdown(activity, running)) {
      case shutdown_step::answer:
        answered = true;
        break;
      case shutdown_step::wait:
        pending = activity != copier_activity::fetching; // a cancelled fetch ends without a start
        answered = !pending;
        started_since = activity == copier_activity::restarting; // the restart's own attempts
        break;
      case shutdown_step::start_then_answer:
        pending = true;
        started_since = true;
        ++after;
        break;
      }
      for (int round = 0; pending && round < 10; ++round) {
        pending = false; // the awaited attempt failed
        switch (after_failed_start(true, started_since)) {
        case failed_start_step::retry_later:
          FAIL() << "a backoff retry during a shutdown";
          break;
        case failed_start_step::start_again:
          started_since = true;
          ++after;
          pending = true;
          break;
        case failed_start_step::answer:
          answered = true;
          break;
        }
      }
      EXPECT_TRUE(answered);
      EXPECT_LE(after, 2);
      if (activity == copier_activity::server_down) {
        EXPECT_GE(after, 1) << "the server was down: a start after the shutdown";
      }
    }
}

} // namespace
} // namespace slotd::model
