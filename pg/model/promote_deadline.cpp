#include "pg/model/promote_deadline.hpp"

#include <algorithm>

namespace slotd::model {

using namespace std::chrono_literals;

std::chrono::milliseconds answer_slack(promote_part part) {
  switch (part) {
  case promote_part::final_advance: return 0ms;
  case promote_part::ha_loop: return 2s;
  case promote_part::promote_handler: return 4s;
  case promote_part::api_gateway: return 6s;
  }
  return 6s;
}

std::chrono::milliseconds wait_for(promote_part part, promote_clock::time_point deadline,
                                   promote_clock::time_point now) {
  auto until = deadline + answer_slack(part);
  if (until <= now)
    return 0ms;
  return std::chrono::ceil<std::chrono::milliseconds>(until - now);
}

std::chrono::milliseconds handover_wait(promote_clock::time_point deadline, promote_clock::time_point now) {
  return std::min<std::chrono::milliseconds>(wait_for(promote_part::final_advance, deadline, now) / 3, 5s);
}

} // namespace slotd::model
