// Which connection the API closes when clients hold many (connection_limits.hpp).
#include "app/api/connection_limits.hpp"

#include <gtest/gtest.h>

using namespace slotd::api;

namespace {

using clock_type = std::chrono::steady_clock;
using conn = open_connection<int>;

// `n` connections from `peer`, handles from `first` on, idle since `first`
// seconds (a lower handle has waited longer).
void add(std::vector<conn>& open, const std::string& peer, int n, int first, bool busy = false) {
  for (int i = 0; i < n; ++i)
    open.push_back({first + i, peer, busy, clock_type::time_point(std::chrono::seconds(first + i))});
}

// admit()'s decision as text: "accept", "accept, closing N" or "refuse".
std::string decision(const std::vector<conn>& open, std::string_view peer, connection_limits limits) {
  auto a = admit(open, peer, limits);
  if (!a.accept)
    return "refuse";
  return a.close_first ? "accept, closing " + std::to_string(*a.close_first) : "accept";
}

} // namespace

TEST(connection_limits, under_both_limits_a_connection_is_accepted) {
  std::vector<conn> open;
  add(open, "10.0.0.1", 3, 0);
  EXPECT_EQ(decision(open, "10.0.0.1", {8, 4}), "accept");
}

TEST(connection_limits, over_its_own_limit_a_client_gives_up_its_longest_idle_connection) {
  std::vector<conn> open;
  add(open, "10.0.0.2", 2, 0);
  add(open, "10.0.0.1", 4, 10);
  EXPECT_EQ(decision(open, "10.0.0.1", {100, 4}), "accept, closing 10");
}

TEST(connection_limits, over_its_own_limit_with_every_request_busy_the_new_one_is_refused) {
  std::vector<conn> open;
  add(open, "10.0.0.1", 4, 0, true);
  add(open, "10.0.0.2", 2, 10);
  EXPECT_EQ(decision(open, "10.0.0.1", {100, 4}), "refuse") << "another client's idle connections stay";
}

TEST(connection_limits, when_all_are_taken_the_client_holding_most_gives_one_up) {
  std::vector<conn> open;
  add(open, "10.0.0.3", 2, 0);
  add(open, "10.0.0.1", 1, 5, true); // busy: never closed
  add(open, "10.0.0.1", 3, 10);
  add(open, "10.0.0.4", 2, 20);
  EXPECT_EQ(decision(open, "10.0.0.2", {8, 32}), "accept, closing 10") << "10.0.0.1 holds 4: its longest idle one";
}

TEST(connection_limits, when_all_are_taken_and_no_client_holds_more_a_client_gives_up_its_own) {
  std::vector<conn> open;
  add(open, "10.0.0.1", 2, 0);
  add(open, "10.0.0.2", 2, 10);
  EXPECT_EQ(decision(open, "10.0.0.2", {4, 32}), "accept, closing 10")
      << "10.0.0.1 holds no more than 10.0.0.2: 10.0.0.2's longest idle one";
  EXPECT_EQ(decision(open, "10.0.0.3", {4, 32}), "accept, closing 0");
  open.clear();
  add(open, "10.0.0.1", 3, 0, true);
  add(open, "10.0.0.1", 1, 5);
  EXPECT_EQ(decision(open, "10.0.0.1", {4, 32}), "accept, closing 5") << "the only client: its own idle one";
}

TEST(connection_limits, when_all_are_busy_the_new_one_is_refused) {
  std::vector<conn> open;
  add(open, "10.0.0.1", 4, 0, true);
  EXPECT_EQ(decision(open, "10.0.0.2", {4, 32}), "refuse");
  EXPECT_EQ(decision(open, "10.0.0.1", {4, 32}), "refuse");
}
