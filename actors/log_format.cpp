#include "actors/log_format.hpp"

#include <charconv>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

namespace slotd::actors {

int journal_priority(spdlog::level::level_enum level) {
  switch (level) {
  case spdlog::level::critical:
    return 2;
  case spdlog::level::err:
    return 3;
  case spdlog::level::warn:
    return 4;
  case spdlog::level::info:
    return 6;
  default:
    return 7;
  }
}

namespace {

template <class T> bool parse_whole(std::string_view s, T& out) {
  if (s.empty())
    return false;
  unsigned long long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size())
    return false;
  out = static_cast<T>(v);
  return static_cast<unsigned long long>(out) == v;
}

} // namespace

bool journal_stream_is(std::string_view journal_stream, dev_t device, ino_t inode) {
  auto colon = journal_stream.find(':');
  if (colon == std::string_view::npos)
    return false;
  dev_t d{};
  ino_t i{};
  return parse_whole(journal_stream.substr(0, colon), d) && parse_whole(journal_stream.substr(colon + 1), i) &&
         d == device && i == inode;
}

bool stderr_is_journal() {
  const char* env = std::getenv("JOURNAL_STREAM");
  if (env == nullptr)
    return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0)
    return false;
  return journal_stream_is(env, st.st_dev, st.st_ino);
}

} // namespace slotd::actors
