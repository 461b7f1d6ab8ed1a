// pgharness_sweep [--check]
// Removes test clusters (servers and data dirs) left behind by test processes
// that no longer run. With --check, exits 1 when it had to remove anything or
// when a server of a finished run is still running: the suite leaked.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "tests/support/pg_harness.hpp"

namespace fs = std::filesystem;

namespace {
// Processes (other than ours) whose command line mentions the test root.
int servers_under_root() {
  auto root = slotd::testing::test_root().string();
  int n = 0;
  for (auto& e : fs::directory_iterator("/proc")) {
    auto name = e.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0])))
      continue;
    std::ifstream f(e.path() / "cmdline");
    std::string cmd((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    for (auto& c : cmd)
      if (c == '\0')
        c = ' ';
    if (cmd.find(root) != std::string::npos && cmd.find("pgharness_sweep") == std::string::npos &&
        cmd.find("postgres") != std::string::npos) {
      // Only servers of finished runs count: the owner pid is the first part
      // of the cluster dir name.
      auto pos = cmd.find(root) + root.size() + 1;
      long owner = std::atol(cmd.c_str() + pos);
      if (owner > 0 && fs::exists("/proc/" + std::to_string(owner)))
        continue;
      std::cerr << "still running: pid " << name << ": " << cmd << "\n";
      ++n;
    }
  }
  return n;
}
} // namespace

int main(int argc, char** argv) {
  bool check = argc > 1 && std::strcmp(argv[1], "--check") == 0;
  int removed = slotd::testing::sweep_leftovers();
  int running = servers_under_root();
  std::cout << "removed " << removed << " leftover cluster dir(s) under " << slotd::testing::test_root().string()
            << "; " << running << " server process(es) of finished runs still running\n";
  if (check && (removed > 0 || running > 0))
    return 1;
  return 0;
}
