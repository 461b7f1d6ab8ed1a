#include "pg/model/advance_errors.hpp"

#include <algorithm>

namespace slotd::model {

advance_error_action classify_advance_error(std::string_view sqlstate) {
  if (sqlstate == "58P01" || sqlstate == "55000")
    return advance_error_action::recopy;
  return advance_error_action::retry;
}

int recopy_limiter::recent(const std::string& slot, time_point now) const {
  auto it = history.find(slot);
  if (it == history.end())
    return 0;
  return static_cast<int>(
      std::count_if(it->second.begin(), it->second.end(), [&](time_point t) { return t + window > now; }));
}

bool recopy_limiter::allows(const std::string& slot, time_point now) const { return recent(slot, now) < max_recopies; }

void recopy_limiter::record(const std::string& slot, time_point now) {
  auto& times = history[slot];
  while (!times.empty() && times.front() + window <= now)
    times.pop_front();
  times.push_back(now);
}

std::chrono::seconds copy_retry::delay(unsigned failures_in_row) {
  if (failures_in_row == 0)
    return std::chrono::seconds(0);
  if (failures_in_row > 6)
    return max_delay;
  return std::min(max_delay, std::chrono::seconds(1u << (failures_in_row - 1)));
}

void copy_retry::failed(time_point now) {
  ++failures_in_row;
  not_before = now + delay(failures_in_row);
}

} // namespace slotd::model
