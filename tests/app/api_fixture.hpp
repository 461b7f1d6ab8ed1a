#pragma once
// Agents on real clusters with the HTTP API served over real sockets, and
// the slotctl binary run against it.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include <caf/scoped_actor.hpp>

#include "actors/io_bridge.hpp"
#include "app/api/api_service.hpp"
#include "tests/actors/agent_fixture.hpp"
#include "tests/app/http_client.hpp"

namespace slotd::testing {

// Members are destroyed in reverse order: the API stops first, then the
// agents, then the servers.
struct api_env {
  explicit api_env(cluster_options o) : c(o) {}

  // Agents on a primary and one replica (node2, started with `replica_role`),
  // with the permanent logical slot cdc in database app.
  void start_pair(config::start_role replica_role = config::start_role::automatic) {
    auto view = view_of(c, {logical_slot("cdc", "app", "test_decoding")});
    a.start(c.primary(), view);
    ASSERT_TRUE(eventually([&] { return slots_of(c.primary()).contains("cdc"); }));
    a.start(c.replica(0), view, {.role = replica_role});
  }

  // Serve the API of `node`'s agent on a free port (the agent must be started).
  int serve(const std::string& node, api::server_options o = {}) {
    o.listen = {"127.0.0.1", 0};
    api = std::make_unique<api::api_service>(a.system(), io, a.of(node), std::move(o));
    return port = api->port();
  }

  http_answer get(const std::string& path) { return http_call(port, "GET", path); }
  http_answer post(const std::string& path, const std::string& body = "",
                   const std::map<std::string, std::string>& headers = {}) {
    return http_call(port, "POST", path, body, headers);
  }
  http_answer put(const std::string& path, const std::string& body,
                  const std::map<std::string, std::string>& headers = {}) {
    return http_call(port, "PUT", path, body, headers);
  }

  // The HA loop's dump, asked directly (not through the API).
  json ha_dump(const std::string& node) { return a.dump(node)["ha_loop"]; }

  cluster c;
  agents a;
  actors::io_runtime io;
  std::unique_ptr<api::api_service> api;
  int port = 0;
};

// Whether `n` has slot `name`; false while the server is down (a slot copy
// restarts it).
inline bool has_slot(const node& n, const std::string& name) {
  try {
    return slots_of(n).contains(name);
  } catch (const harness_error&) {
    return false;
  }
}

struct run_result {
  int exit = -1;
  std::string out;
  std::string err;
  json out_json() const { return json::parse(out, nullptr, false); }
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char ch : s)
    q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

// Runs the slotctl binary of this build with `args` (SLOTD_API set to the port).
inline run_result slotctl(int port, const std::vector<std::string>& args) {
  std::string bin = SLOTD_SLOTCTL_PATH;
  auto err_file = fs::temp_directory_path() / ("slotctl-err-" + std::to_string(::getpid()));
  std::string cmd = "SLOTD_API=http://127.0.0.1:" + std::to_string(port) + " " + shell_quote(bin);
  for (auto& a : args)
    cmd += " " + shell_quote(a);
  cmd += " 2>" + shell_quote(err_file.string()) + " </dev/null";
  run_result r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p)
    return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    r.out.append(buf, n);
  int st = ::pclose(p);
  r.exit = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream in(err_file);
  std::stringstream ss;
  ss << in.rdbuf();
  r.err = ss.str();
  fs::remove(err_file);
  return r;
}

inline fs::path write_temp(const std::string& name, const std::string& text) {
  auto p = fs::temp_directory_path() / ("slotd-api-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(p) << text;
  return p;
}

} // namespace slotd::testing
