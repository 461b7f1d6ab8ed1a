#include "actors/log_format.hpp"

#include <gtest/gtest.h>

namespace slotd::actors {
namespace {

TEST(JournalPriority, SyslogLevels) {
  EXPECT_EQ(journal_priority(spdlog::level::critical), 2);
  EXPECT_EQ(journal_priority(spdlog::level::err), 3);
  EXPECT_EQ(journal_priority(spdlog::level::warn), 4);
  EXPECT_EQ(journal_priority(spdlog::level::info), 6);
  EXPECT_EQ(journal_priority(spdlog::level::debug), 7);
  EXPECT_EQ(journal_priority(spdlog::level::trace), 7);
}

TEST(JournalStream, MatchesDeviceAndInode) {
  EXPECT_TRUE(journal_stream_is("8:12345", 8, 12345));
  EXPECT_TRUE(journal_stream_is("64769:4294967301", 64769, 4294967301ULL));
}

TEST(JournalStream, OtherFileIsNotTheJournal) {
  // stderr redirected elsewhere by the service (StandardError=file:...) while
  // JOURNAL_STREAM is still inherited: not the journal.
  EXPECT_FALSE(journal_stream_is("8:12345", 8, 12346));
  EXPECT_FALSE(journal_stream_is("8:12345", 9, 12345));
}

TEST(JournalStream, MalformedValues) {
  for (auto v : {"", ":", "8:", ":12345", "8", "8:12345:1", "x:12345", "8:12a", " 8:12345", "-8:12345",
                 "99999999999999999999999:1"})
    EXPECT_FALSE(journal_stream_is(v, 8, 12345)) << v;
}

} // namespace
} // namespace slotd::actors
