#pragma once
// docs/api.md, POST /promote: one deadline per promote. The caller's
// `timeout` fixes it once, when the agent receives the request (the first
// of its parts to see the request sets it). The final advance starts no
// slot after it and cuts the one it runs there. Each part that waits for an
// inner one waits until the deadline plus its own answer slack, larger for
// each outer part, so that the inner answer (a timeout included) always
// reaches the caller first, and the caller hears by timeout + 6 s at most.
#include <chrono>

namespace slotd::model {

using promote_clock = std::chrono::steady_clock;

// The parts of the agent a promote passes through, innermost first.
enum class promote_part {
  final_advance,   // the advance workers: stop at the deadline
  ha_loop,         // answers by the deadline + 2 s (a final advance or a local read that hangs)
  promote_handler, // + 4 s (an HA loop that does not answer)
  api_gateway,     // + 6 s (a promote handler that does not answer)
};

// How long after the deadline `part` answers at the latest.
std::chrono::milliseconds answer_slack(promote_part part);

// How long `part`, at `now`, waits for the part inside it (0 once past).
std::chrono::milliseconds wait_for(promote_part part, promote_clock::time_point deadline,
                                   promote_clock::time_point now);

// At a switchover (handover_from): how long to wait for the old primary's
// final positions, min(a third of what is left, 5 s).
std::chrono::milliseconds handover_wait(promote_clock::time_point deadline, promote_clock::time_point now);

} // namespace slotd::model
