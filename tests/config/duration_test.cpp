#include "config/duration.hpp"

#include <gtest/gtest.h>

namespace slotd::config {
namespace {

using namespace std::chrono_literals;

struct valid_case {
  const char* text;
  std::chrono::milliseconds value;
};

TEST(parse_duration, accepts_a_whole_number_and_a_unit) {
  const valid_case cases[] = {
      {"500ms", 500ms}, {"10s", 10s},         {"30min", 30min},        {"1h", 1h},
      {"1ms", 1ms},     {"0010s", 10s},       {"90min", 90min},        {"100000h", 100000h},
  };
  for (const auto& c : cases) {
    auto d = parse_duration(c.text);
    ASSERT_TRUE(d.value) << c.text << ": " << d.error;
    EXPECT_EQ(*d.value, c.value) << c.text;
    EXPECT_EQ(d.error, "") << c.text;
  }
}

struct invalid_case {
  const char* text;
  const char* error;
};

TEST(parse_duration, says_why_a_text_is_not_a_duration) {
  const invalid_case cases[] = {
      {"10", "'10' has no unit (use ms, s, min or h, e.g. 10s)"},
      {"0", "'0' has no unit (use ms, s, min or h, e.g. 0s)"},
      {"-1s", "'-1s' is negative"},
      {"0s", "'0s' must be greater than zero"},
      {"0ms", "'0ms' must be greater than zero"},
      {"1.5s", "'1.5s' is not a whole number (use a smaller unit, e.g. 1500ms for 1.5s)"},
      {"10sec", "'10sec' has an unknown unit 'sec' (use ms, s, min or h)"},
      {"1d", "'1d' has an unknown unit 'd' (use ms, s, min or h)"},
      {"10 s", "'10 s' has an unknown unit ' s' (use ms, s, min or h)"},
      {"10S", "'10S' has an unknown unit 'S' (use ms, s, min or h)"},
      {"s", "'s' is not a duration (a whole number and a unit, e.g. 10s)"},
      {"+5s", "'+5s' is not a duration (a whole number and a unit, e.g. 10s)"},
      {"", "empty duration (use ms, s, min or h, e.g. 10s)"},
      {"100001h", "'100001h' is too long (at most 100000h)"},
      {"99999999999999999999999ms", "'99999999999999999999999ms' is too long (at most 100000h)"},
  };
  for (const auto& c : cases) {
    auto d = parse_duration(c.text);
    EXPECT_FALSE(d.value) << c.text;
    EXPECT_EQ(d.error, c.error) << c.text;
  }
}

TEST(parse_duration, accepts_zero_with_a_unit_only_where_allowed) {
  EXPECT_EQ(parse_duration("0s", zero_duration::allowed).value, 0ms);
  EXPECT_EQ(parse_duration("0min", zero_duration::allowed).value, 0ms);
  EXPECT_EQ(parse_duration("0", zero_duration::allowed).error, "'0' has no unit (use ms, s, min or h, e.g. 0s)");
}

TEST(format_duration, writes_the_largest_exact_unit) {
  EXPECT_EQ(format_duration(30min), "30min");
  EXPECT_EQ(format_duration(2h), "2h");
  EXPECT_EQ(format_duration(90s), "90s");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
  EXPECT_EQ(format_duration(0ms), "0s");
  for (std::chrono::milliseconds d : {1ms, 999ms, 1000ms, 61000ms, 3600000ms, 7201000ms})
    EXPECT_EQ(parse_duration(format_duration(d)).value, d);
}

} // namespace
} // namespace slotd::config
