#pragma once
// How the pg tests stop and start a harness node through pg::server.
#include "pg/server/server_control.hpp"
#include "tests/support/pg_harness.hpp"

namespace slotd::pg::test_support {

inline server::server_options server_of(const testing::node& n) {
  using namespace std::chrono_literals;
  server::server_options o;
  o.bin_dir = testing::pg_install::current().bin_dir;
  o.data_dir = n.data_dir();
  o.log_file = n.log_file();
  o.run_as = "postgres"; // only used when root
  o.stop_timeout = 60s;
  o.start_timeout = 60s;
  return o;
}

} // namespace slotd::pg::test_support
