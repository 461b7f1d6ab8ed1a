#pragma once
// One long-lived thread for blocking probes that must hold neither an actor
// nor the I/O thread and its blocking pool: today the statvfs of pg_wal,
// which hangs with a hung file system. The HA loop used to start a thread
// for each probe (one per full cycle); one thread that waits on a condition
// variable between probes costs no thread creation and no wake-up while idle.
// Jobs run one after another, in the order given: a job that hangs holds
// the ones after it, so a caller runs one probe at a time and reports one
// that has not answered (actors/ha_sampling.cpp read_wal_space).
#include <functional>

namespace slotd::actors {

// Runs `job` on the probe thread (started on first use, never stopped: it
// lives as long as the process, also when a job hangs or throws).
void run_probe(std::function<void()> job);

} // namespace slotd::actors
