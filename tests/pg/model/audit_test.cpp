// The audit trail's rules (pg/model/audit.hpp): the ring's paging and the
// summary of advances.
#include <gtest/gtest.h>

#include "pg/model/audit.hpp"
#include "pg/model/event_number.hpp"

namespace slotd::model {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

audit_event event(std::string slot) {
  audit_event e;
  e.action = audit_action::create;
  e.slot = std::move(slot);
  return e;
}

TEST(audit_ring, numbers_events_and_pages_after_since) {
  audit_ring r(10);
  for (auto s : {"a", "b", "c"})
    r.add(event(s));
  auto all = r.since(0);
  ASSERT_EQ(all.events.size(), 3u);
  EXPECT_EQ(all.events[0].seq, 1u);
  EXPECT_EQ(all.events[2].slot, "c");
  EXPECT_EQ(all.next, 3u);
  EXPECT_EQ(all.missed, 0u);
  auto after2 = r.since(2);
  ASSERT_EQ(after2.events.size(), 1u);
  EXPECT_EQ(after2.events[0].slot, "c");
  auto none = r.since(3);
  EXPECT_TRUE(none.events.empty());
  EXPECT_EQ(none.next, 3u);
}

TEST(audit_ring, keeps_the_newest_and_says_how_many_were_missed) {
  audit_ring r(3);
  for (int i = 0; i < 5; ++i)
    r.add(event("s" + std::to_string(i)));
  auto p = r.since(0);
  ASSERT_EQ(p.events.size(), 3u);
  EXPECT_EQ(p.events.front().seq, 3u);
  EXPECT_EQ(p.missed, 2u);
  EXPECT_EQ(r.since(2).missed, 0u);
  EXPECT_EQ(r.since(1).missed, 1u);
}

TEST(audit_ring, pages_are_bounded_and_chain) {
  audit_ring r(10);
  for (int i = 0; i < 5; ++i)
    r.add(event("s" + std::to_string(i)));
  auto p1 = r.since(0, 2);
  ASSERT_EQ(p1.events.size(), 2u);
  EXPECT_EQ(p1.next, 2u);
  auto p2 = r.since(p1.next, 2);
  ASSERT_EQ(p2.events.size(), 2u);
  EXPECT_EQ(p2.events[0].seq, 3u);
}

TEST(audit_ring, a_since_past_the_last_event_is_from_an_earlier_run_and_gets_this_runs_events) {
  // A client that followed an agent since restarted (numbers start again).
  audit_ring r(10);
  r.add(event("a"));
  auto p = r.since(500);
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0].slot, "a");
  EXPECT_EQ(p.next, 1u);
  EXPECT_EQ(p.missed, 0u);
}

TEST(advance_digest, the_first_advance_is_an_event_then_at_most_one_a_minute) {
  advance_digest d;
  advance_summary_policy pol;
  auto t0 = steady::time_point{} + 1h;
  auto first = d.note("cdc", pg::lsn(100), pg::lsn(200), "r", "w", t0, pol);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->before, pg::lsn(100));
  EXPECT_EQ(first->after, pg::lsn(200));
  EXPECT_EQ(first->advances, 1u);
  EXPECT_FALSE(first->jump);
  EXPECT_FALSE(d.note("cdc", pg::lsn(200), pg::lsn(300), "r", "w", t0 + 10s, pol));
  EXPECT_FALSE(d.note("cdc", pg::lsn(300), pg::lsn(400), "r", "w", t0 + 20s, pol));
  EXPECT_TRUE(d.due(t0 + 59s, pol).empty());
  EXPECT_TRUE(d.pending());
  auto due = d.due(t0 + 60s, pol);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].before, pg::lsn(200));
  EXPECT_EQ(due[0].after, pg::lsn(400));
  EXPECT_EQ(due[0].advances, 2u);
  EXPECT_FALSE(d.pending());
  EXPECT_TRUE(d.due(t0 + 200s, pol).empty());
  // Quiet for over a minute: the next advance is an event at once.
  auto later = d.note("cdc", std::nullopt, pg::lsn(500), "r", "w", t0 + 200s, pol);
  ASSERT_TRUE(later);
  EXPECT_EQ(later->before, pg::lsn(400)); // where the last event left it
}

TEST(advance_digest, a_jump_over_the_threshold_is_an_event_at_once_with_what_added_up) {
  advance_digest d;
  advance_summary_policy pol{60s, 1000};
  auto t0 = steady::time_point{} + 1h;
  ASSERT_TRUE(d.note("cdc", pg::lsn(100), pg::lsn(200), "r", "w", t0, pol));
  EXPECT_FALSE(d.note("cdc", std::nullopt, pg::lsn(300), "r", "w", t0 + 1s, pol));
  auto jump = d.note("cdc", std::nullopt, pg::lsn(1301), "r", "w", t0 + 2s, pol);
  ASSERT_TRUE(jump);
  EXPECT_TRUE(jump->jump);
  EXPECT_EQ(jump->before, pg::lsn(200));
  EXPECT_EQ(jump->after, pg::lsn(1301));
  EXPECT_EQ(jump->advances, 2u);
  // Exactly the threshold is not a jump.
  EXPECT_FALSE(d.note("cdc", std::nullopt, pg::lsn(2301), "r", "w", t0 + 3s, pol));
}

TEST(advance_digest, a_first_report_the_snapshot_already_shows_is_an_advance_from_an_unknown_start) {
  // The local snapshot was read after the advance, before its report.
  advance_digest d;
  advance_summary_policy pol;
  auto t0 = steady::time_point{} + 1h;
  auto s = d.note("cdc", pg::lsn(200), pg::lsn(200), "r", "w", t0, pol);
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->before);
  EXPECT_EQ(s->after, pg::lsn(200));
}

TEST(advance_digest, repeats_and_backward_reports_are_not_advances) {
  advance_digest d;
  advance_summary_policy pol;
  auto t0 = steady::time_point{} + 1h;
  ASSERT_TRUE(d.note("cdc", pg::lsn(200), pg::lsn(300), "r", "w", t0, pol));
  EXPECT_FALSE(d.note("cdc", std::nullopt, pg::lsn(300), "r", "w", t0 + 70s, pol));
  EXPECT_FALSE(d.note("cdc", std::nullopt, pg::lsn(250), "r", "w", t0 + 80s, pol));
  EXPECT_FALSE(d.pending());
}

TEST(advance_digest, slots_are_summarised_apart_and_a_flush_gives_what_added_up_at_once) {
  advance_digest d;
  advance_summary_policy pol;
  auto t0 = steady::time_point{} + 1h;
  ASSERT_TRUE(d.note("a", pg::lsn(1), pg::lsn(2), "r", "w", t0, pol));
  ASSERT_TRUE(d.note("b", pg::lsn(1), pg::lsn(2), "r", "w", t0, pol));
  EXPECT_FALSE(d.note("a", std::nullopt, pg::lsn(3), "r", "w", t0 + 1s, pol));
  EXPECT_FALSE(d.note("b", std::nullopt, pg::lsn(3), "r", "w", t0 + 1s, pol));
  auto a = d.flush("a", t0 + 2s);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->before, pg::lsn(2));
  EXPECT_EQ(a->after, pg::lsn(3));
  EXPECT_FALSE(d.flush("a", t0 + 2s)) << "nothing left";
  auto due = d.due(t0 + 61s, pol);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].slot, "b");
  // A flushed slot starts again: its next advance is an event at once.
  EXPECT_TRUE(d.note("a", pg::lsn(3), pg::lsn(4), "r", "w", t0 + 62s, pol));
  EXPECT_FALSE(d.note("b", std::nullopt, pg::lsn(5), "r", "w", t0 + 63s, pol));
  auto all = d.flush_all(t0 + 64s);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].slot, "b");
  EXPECT_FALSE(d.pending());
}

TEST(audit_view_change, says_what_was_added_removed_and_changed) {
  cluster_view a;
  a.members["node1"].name = "node1";
  a.members["node2"].name = "node2";
  a.slots["cdc"].database = "app";
  cluster_view b = a;
  EXPECT_EQ(describe_view_change(a, b), "");
  b.members.erase("node2");
  b.members["node3"].name = "node3";
  b.slots["cdc"].database = "other";
  b.slots["cdc2"].database = "app";
  b.use_slots = false;
  b.members["node1"].xlog_location = pg::lsn(100); // a position, not a change
  EXPECT_EQ(describe_view_change(a, b),
            "members added: node3; members removed: node2; slots added: cdc2; slots changed: cdc; use_slots off");
}

TEST(audit_event_number, decimal_digits_from_0_to_2_to_the_64_minus_1) {
  EXPECT_EQ(parse_event_number("0"), 0u);
  EXPECT_EQ(parse_event_number("42"), 42u);
  EXPECT_EQ(parse_event_number("18446744073709551615"), 18446744073709551615ull);
  for (auto bad : {"", "-1", "+1", "1x", " 1", "18446744073709551616", "x"})
    EXPECT_FALSE(parse_event_number(bad)) << bad;
}

TEST(audit_rules, every_drop_reason_names_its_rule) {
  EXPECT_EQ(drop_rule(drop_reason::unknown), "§3.13 rule 1 (not desired)");
  EXPECT_NE(drop_rule(drop_reason::failover_not_synced).find("rule 6"), std::string::npos);
  EXPECT_EQ(to_string(audit_action::standby_slots_change), "standby_slots_change");
}

} // namespace
} // namespace slotd::model
