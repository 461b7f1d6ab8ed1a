// pgcluster: the test harness's clusters for people (scripts/pg-cluster).
//   pgcluster up DIR [--replicas N]   primary + N streaming replicas, left running
//   pgcluster status DIR              nodes, ports, roles
//   pgcluster down DIR                stop every server and remove DIR
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#include "tests/support/pg_harness.hpp"

using namespace slotd::testing;

namespace {

int usage() {
  std::cerr << "usage: pgcluster up DIR [--replicas N] | status DIR | down DIR\n";
  return 2;
}

struct entry {
  std::string name;
  int port;
};

std::vector<entry> read_nodes(const fs::path& dir) {
  std::vector<entry> out;
  std::ifstream f(dir / "nodes");
  entry e;
  while (f >> e.name >> e.port)
    out.push_back(e);
  return out;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 3)
    return usage();
  std::string cmd = argv[1];
  fs::path dir = fs::absolute(argv[2]);
  try {
    if (cmd == "up") {
      cluster_options opts;
      opts.dir = dir;
      for (int i = 3; i < argc; ++i) {
        if (std::strcmp(argv[i], "--replicas") == 0 && i + 1 < argc)
          opts.replicas = std::stoi(argv[++i]);
        else
          return usage();
      }
      cluster c(opts);
      std::ofstream f(dir / "nodes");
      for (std::size_t i = 0; i < c.size(); ++i) {
        f << c.at(i).name() << ' ' << c.at(i).port() << '\n';
        std::cout << c.at(i).name() << (i == 0 ? "  primary  " : "  replica  ") << c.at(i).conninfo() << '\n';
      }
      c.detach();
      std::cout << "logs: " << dir.string() << "/*.log; stop with: scripts/pg-cluster down --dir " << dir.string() << '\n';
      return 0;
    }
    if (cmd == "status") {
      for (auto& e : read_nodes(dir)) {
        node n(e.name, dir, e.port);
        std::string role = "stopped";
        if (n.running())
          role = n.in_recovery() ? "replica" : "primary";
        std::cout << e.name << "  port " << e.port << "  " << role;
        if (role != "stopped")
          std::cout << "  lsn " << n.current_lsn();
        std::cout << '\n';
      }
      return 0;
    }
    if (cmd == "down") {
      for (auto& e : read_nodes(dir)) {
        node n(e.name, dir, e.port);
        if (n.running())
          n.stop_fast();
      }
      fs::remove_all(dir);
      std::cout << "removed " << dir.string() << '\n';
      return 0;
    }
  } catch (const std::exception& ex) {
    std::cerr << "pgcluster: " << ex.what() << '\n';
    return 1;
  }
  return usage();
}
