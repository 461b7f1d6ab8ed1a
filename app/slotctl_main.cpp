// slotctl: the command-line client of slotd's HTTP API.
#include <iostream>
#include <string_view>

#include "slotd/version.hpp"

namespace {

constexpr std::string_view usage = R"(Usage: slotctl [OPTIONS] COMMAND

Client of a running slotd's HTTP API.

Options:
  -h, --help       print this help and exit
  -V, --version    print the version and exit

This build has no commands yet: it only answers --help and --version.
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
      std::cout << "slotctl " << slotd::version << '\n';
      return 0;
    }
    std::cerr << "slotctl: unknown option or command '" << arg << "' (see slotctl --help)\n";
    return 2;
  }
  std::cerr << usage;
  return 2;
}
