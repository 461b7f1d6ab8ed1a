// slotd: the agent that keeps replication slots right across failovers.
#include <cstring>
#include <iostream>
#include <string_view>

#include "slotd/version.hpp"

namespace {

constexpr std::string_view usage = R"(Usage: slotd [OPTIONS]

Keeps PostgreSQL replication slots right across failovers, driven by the
promote/demote messages of an HA manager. One slotd runs beside each server.

Options:
  -h, --help       print this help and exit
  -V, --version    print the version and exit

This build has no agent loop yet: it only answers --help and --version.
)";

} // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << usage;
      return 0;
    }
    if (arg == "-V" || arg == "--version") {
      std::cout << "slotd " << slotd::version << '\n';
      return 0;
    }
    std::cerr << "slotd: unknown option '" << arg << "' (see slotd --help)\n";
    return 2;
  }
  std::cerr << "slotd: the agent loop is not implemented in this build (see slotd --help)\n";
  return 1;
}
