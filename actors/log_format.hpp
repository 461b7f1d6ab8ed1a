#pragma once
// How slotd's log lines look on stderr: under systemd, with stderr connected
// to the journal, each line starts with its syslog priority ("<3>" for an
// error), which journald takes as the entry's priority and strips (so
// `journalctl -p warning` shows warnings and worse); the journal stamps the
// time itself. Elsewhere: the time, the level and the logger in front.
#include <spdlog/common.h>

#include <string_view>
#include <sys/types.h>

namespace slotd::actors {

// The syslog priority of a log level: critical 2, error 3, warning 4,
// info 6, debug and trace 7.
int journal_priority(spdlog::level::level_enum level);

// Whether JOURNAL_STREAM's value ("DEVICE:INODE", set by systemd for a
// service whose stderr goes to the journal) names the file with this device
// and inode number. Empty or malformed: false.
bool journal_stream_is(std::string_view journal_stream, dev_t device, ino_t inode);

// Whether this process's stderr is the journal's stream (JOURNAL_STREAM and
// fstat of stderr), as sd_journal's documentation says to check.
bool stderr_is_journal();

} // namespace slotd::actors
