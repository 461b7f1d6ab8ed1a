// slotctl: the command-line client of slotd's HTTP API (docs/api.md).
// A blocking client is fine here: one request, then exit.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "actors/json_text.hpp"
#include "app/slotctl_candidates.hpp"
#include "app/slotctl_events.hpp"
#include "app/slotctl_http.hpp"
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "config/api_url.hpp"
#include "config/duration.hpp"
#include "slotd/version.hpp"

namespace {

using json = nlohmann::json;
using namespace slotd::slotctl;


constexpr std::string_view default_api = "http://127.0.0.1:8010";

constexpr std::string_view usage = R"(Usage: slotctl [--api URL] [--token-file FILE] COMMAND [ARGS]
       slotctl COMMAND --help | --help | --version

Client of a running slotd's HTTP API. Prints the agent's JSON answer on
stdout (indented on a terminal, one line otherwise).

Options:
  --api URL          the agent's API, http://HOST:PORT (default: $SLOTD_API,
                     else http://127.0.0.1:8010)
  --token-file FILE  send "Authorization: Bearer <token>" with the token in
                     FILE (needed for changes when slotd has api.token_file)
  -h, --help         print this help (or a command's, after the command)
  -V, --version      print the version and exit

Commands:
  state                   every actor's state (GET /state)
  status                  role, leader, optime, slots and their figures,
                          WAL guard, alerts (GET /status)
  promote [--timeout D] [--from OLD]
                          final advance before the server is promoted;
                          D like 30s (default), 500ms, 2min; --from: a
                          switchover from member OLD, whose agent hands
                          over its final slot positions (POST /promote)
  demote --leader NAME    follow member NAME as a replica (POST /demote)
  cluster --file FILE     replace cluster-view keys (members, slots,
                          ignore_slots, member_slots_ttl, use_slots) with
                          those in FILE, YAML or JSON (PUT /cluster)
  pause                   hands-off: drop and copy nothing (POST /pause)
  resume                  end a pause (POST /resume)
  health                  is the loop running and the server answering? (GET /health)
  readiness               are the logical slots here failover-ready? (GET /readiness)
  candidate [--timeout D] can this node be promoted without any consumer
                          losing changes? (GET /candidate)
  candidates [--members NAME=URL,...] [--json] [--timeout D]
                          every member's verdict, best candidate first
  events [--since N] [--follow] [--interval D]
                          the audit trail: every change the agent made,
                          one JSON line each (GET /events)

Exit status: 0 success (readiness: ready, health: healthy, candidate: loses
nothing, candidates: a member can be promoted without loss), 1 the agent
refused or answered an error (readiness: not ready, health: unhealthy,
candidate(s): no such member), 2 usage error, 3 the agent cannot be reached.
)";

struct command_help {
  std::string_view name;
  std::string_view text;
};

constexpr command_help command_helps[] = {
    {"state", "Usage: slotctl [OPTIONS] state\n\nPrints the state dump of every actor of the agent (GET /state).\n"},
    {"status", "Usage: slotctl [OPTIONS] status\n\nPrints the agent's role, leader, optime, paused, my_slot_name,\n"
               "each slot's type, position, readiness and figures (WAL kept, consumer lag,\n"
               "consumer, time unmoved and unused, a copy's lag behind the leader), the\n"
               "WAL-retention guard and the alerts, as JSON (GET /status).\n"},
    {"promote", "Usage: slotctl [OPTIONS] promote [--timeout D] [--from OLD]\n\n"
                "Tells the agent that its server is about to be promoted (POST /promote):\n"
                "a final advance of every logical slot, bounded by D (default 30s; units\n"
                "ms, s, min, h): D bounds the whole promote, the fetch of --from\n"
                "included, and the agent answers by D + 6 s even when a part of it\n"
                "hangs. Prints which slots are ready and which are unsafe.\n"
                "--from OLD (a planned switchover, after OLD's server was stopped): the\n"
                "agent fetches OLD's final slot positions from OLD's agent (its `api` in\n"
                "the cluster view) and advances each copy exactly there, capped at what\n"
                "this node replayed; without an answer it uses its last samples. The\n"
                "reply's `handover` says which slots were handed over.\n"
                "Exit 1 when refused (409 while another promote or demote runs).\n"},
    {"demote", "Usage: slotctl [OPTIONS] demote --leader NAME\n\nTells the agent to follow member NAME as a replica "
               "(POST /demote). NAME must be\na member of the agent's cluster view (exit 1 otherwise).\n"},
    {"cluster", "Usage: slotctl [OPTIONS] cluster --file FILE\n\nReplaces the cluster-view keys present in FILE "
                "(members, slots, ignore_slots,\nmember_slots_ttl, use_slots; same shapes as in slotd.yaml) "
                "(PUT /cluster).\nFILE is YAML or JSON. Prints the new view. Exit 1 when the agent refuses it.\n"},
    {"pause", "Usage: slotctl [OPTIONS] pause\n\nHands-off mode (POST /pause): the agent drops and copies no slots "
              "until resumed.\n"},
    {"resume", "Usage: slotctl [OPTIONS] resume\n\nEnds a pause (POST /resume).\n"},
    {"health", "Usage: slotctl [OPTIONS] health\n\nGET /health: exit 0 when the HA loop runs and the local server\n"
               "answers, 1 otherwise.\n"},
    {"readiness", "Usage: slotctl [OPTIONS] readiness\n\nGET /readiness: exit 0 when every permanent logical slot "
                  "here is failover-ready\n(always on a primary), 1 otherwise (the answer lists the unready ones).\n"},
    {"candidate",
     "Usage: slotctl [OPTIONS] candidate [--timeout D]\n\n"
     "GET /candidate: can this node be promoted without any consumer of a permanent\n"
     "logical slot losing changes? Prints the verdict with its reasons, each slot's\n"
     "readiness and how far (bytes, seconds) it is behind the leader's last known\n"
     "position, the received and replayed LSN, the timeline and the age of the last\n"
     "leader sample (the answer stands when the leader is gone). D bounds the wait\n"
     "(default 5s). Exit 0 when loses_nothing is true, 1 when not, 3 no answer.\n"},
    {"candidates",
     "Usage: slotctl [OPTIONS] candidates [--members NAME=URL,...] [--json] [--timeout D]\n\n"
     "Asks every member's agent GET /candidate at once, each within D (default 5s),\n"
     "and ranks the replicas: loses nothing first, then the highest received LSN,\n"
     "the fewest slots and bytes behind, not nofailover, the name. The leader and\n"
     "members that do not answer are listed last, never left out.\n\n"
     "The members are those of --members (name=URL pairs, comma-separated), or else\n"
     "those of the --api agent's cluster view, at each member's `api` address.\n"
     "Prints a table (--json: JSON with the choice and every answer).\n"
     "Exit 0 when at least one member can be promoted without loss, 1 otherwise,\n"
     "3 when the --api agent cannot be reached to learn the members.\n"},
    {"events",
     "Usage: slotctl [OPTIONS] events [--since N] [--follow] [--interval D]\n\n"
     "Prints the agent's audit trail (GET /events): every change it made (slot\n"
     "create, drop, copy, advance summary, restart, promote, demote, view change,\n"
     "synchronized_standby_slots change), one JSON line each, oldest first, with\n"
     "its number (seq), time, actor, slot, positions before and after, and the\n"
     "rule that decided it. --since N: only the events after number N. The agent\n"
     "keeps the newest 1000; older ones are only in its log.audit_file (a warning\n"
     "on stderr says how many were missed). --follow (-f): keep asking every D\n"
     "(default 1s) and print new events as they come, until interrupted; an agent\n"
     "that restarts is asked again.\n"},
};

const command_help* find_command(std::string_view name) {
  for (auto& c : command_helps)
    if (c.name == name)
      return &c;
  return nullptr;
}


using slotd::config::api_url;

api_url parse_url(std::string_view url) {
  auto parsed = slotd::config::parse_api_url(url);
  if (auto* why = std::get_if<std::string>(&parsed))
    throw usage_error{"--api " + std::string(url) + ": " + *why};
  return std::get<api_url>(parsed);
}

std::string read_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw usage_error{std::string(what) + " " + path + ": cannot read it"};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string trimmed(std::string s) {
  auto first = s.find_first_not_of(" \t\r\n");
  auto last = s.find_last_not_of(" \t\r\n");
  return first == std::string::npos ? std::string() : s.substr(first, last - first + 1);
}

// A YAML node as JSON: plain scalars that read as booleans, integers or
// null become those; quoted scalars stay strings.
json yaml_to_json(const YAML::Node& n) {
  switch (n.Type()) {
  case YAML::NodeType::Map: {
    json out = json::object();
    for (const auto& kv : n)
      out[kv.first.as<std::string>()] = yaml_to_json(kv.second);
    return out;
  }
  case YAML::NodeType::Sequence: {
    json out = json::array();
    for (const auto& item : n)
      out.push_back(yaml_to_json(item));
    return out;
  }
  case YAML::NodeType::Scalar: {
    const auto& s = n.Scalar();
    if (n.Tag() == "?") { // plain, not quoted
      if (s == "true" || s == "True" || s == "TRUE")
        return true;
      if (s == "false" || s == "False" || s == "FALSE")
        return false;
      if (s == "~" || s == "null" || s == "Null" || s == "NULL")
        return nullptr;
      if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos && s.size() < 10)
        return std::stol(s);
      if (s.size() > 1 && s[0] == '-' && s.find_first_not_of("0123456789", 1) == std::string::npos && s.size() < 10)
        return std::stol(s);
    }
    return s;
  }
  default:
    return nullptr;
  }
}

// The body of `cluster --file`: the file's JSON as it is, or its YAML as JSON.
std::string cluster_body(const std::string& path) {
  auto text = read_file(path, "--file");
  if (auto j = json::parse(text, nullptr, false); !j.is_discarded())
    return slotd::actors::json_text(j);
  try {
    auto node = YAML::Load(text);
    if (!node.IsMap())
      throw usage_error{"--file " + path + ": expected a mapping of cluster-view keys (members, slots, "
                        "ignore_slots, member_slots_ttl, use_slots)"};
    return slotd::actors::json_text(yaml_to_json(node));
  } catch (const YAML::Exception& e) {
    throw usage_error{"--file " + path + ":" + std::to_string(e.mark.line + 1) + ":" +
                      std::to_string(e.mark.column + 1) + ": not valid YAML or JSON: " + e.msg};
  }
}

void print_answer(const http_answer& a, std::string_view what) {
  auto j = json::parse(a.body, nullptr, false);
  if (j.is_discarded()) {
    std::cout << a.body;
    if (!a.body.empty() && a.body.back() != '\n')
      std::cout << '\n';
  } else {
    std::cout << (isatty(STDOUT_FILENO) ? j.dump(2) : j.dump()) << '\n';
  }
  if (a.status >= 400 && j.is_object() && j.contains("error") && j["error"].is_string())
    std::cerr << "slotctl: " << what << ": " << a.status << ": " << j["error"].get<std::string>() << '\n';
}

// The value after `flag` (argv[i+1]), or a usage error.
std::string flag_value(const std::vector<std::string>& args, std::size_t& i, std::string_view flag) {
  if (i + 1 >= args.size())
    throw usage_error{std::string(flag) + " needs a value"};
  return args[++i];
}

// "--flag=value" as "--flag", "value".
std::vector<std::string> split_assignments(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto eq = a.find('=');
    if (a.starts_with("--") && eq != std::string::npos) {
      out.push_back(a.substr(0, eq));
      out.push_back(a.substr(eq + 1));
    } else {
      out.push_back(std::move(a));
    }
  }
  return out;
}

struct options {
  std::string api;
  std::optional<std::string> token_file;
  std::string command;
  std::vector<std::string> args; // after the command
};

// A command's request from its arguments.
request_spec make_request(const options& o) {
  const auto& cmd = o.command;
  const auto& args = o.args;
  request_spec spec;
  auto no_args = [&] {
    if (!args.empty())
      throw usage_error{cmd + ": unexpected argument '" + args.front() + "'"};
  };
  if (cmd == "state" || cmd == "status" || cmd == "health" || cmd == "readiness") {
    no_args();
    spec.target = "/" + cmd;
  } else if (cmd == "pause" || cmd == "resume") {
    no_args();
    spec.method = "POST";
    spec.target = "/" + cmd;
  } else if (cmd == "promote") {
    spec.method = "POST";
    spec.target = "/promote";
    json body = json::object();
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--timeout") {
        auto text = flag_value(args, i, "--timeout");
        auto d = slotd::config::parse_duration(text);
        if (!d.value)
          throw usage_error{"promote --timeout: " + d.error};
        body["timeout"] = text;
        spec.timeout = *d.value + std::chrono::seconds(60);
      } else if (args[i] == "--from") {
        auto from = flag_value(args, i, "--from");
        if (from.empty())
          throw usage_error{"promote --from needs the old primary's member name"};
        body["handover_from"] = from;
      } else {
        throw usage_error{"promote: unexpected argument '" + args[i] + "'"};
      }
    }
    spec.body = slotd::actors::json_text(body);
  } else if (cmd == "demote") {
    std::optional<std::string> leader;
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--leader")
        leader = flag_value(args, i, "--leader");
      else
        throw usage_error{"demote: unexpected argument '" + args[i] + "'"};
    }
    if (!leader || leader->empty())
      throw usage_error{"demote needs --leader NAME"};
    spec.method = "POST";
    spec.target = "/demote";
    spec.body = slotd::actors::json_text(json{{"leader", *leader}});
  } else if (cmd == "cluster") {
    std::optional<std::string> file;
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--file" || args[i] == "-f")
        file = flag_value(args, i, "--file");
      else
        throw usage_error{"cluster: unexpected argument '" + args[i] + "'"};
    }
    if (!file)
      throw usage_error{"cluster needs --file FILE"};
    spec.method = "PUT";
    spec.target = "/cluster";
    spec.body = cluster_body(*file);
  } else {
    throw usage_error{"unknown command '" + cmd + "'"};
  }
  return spec;
}

} // namespace

int main(int argc, char** argv) {
  auto args = split_assignments(argc, argv);
  options o;
  const char* env_api = std::getenv("SLOTD_API");
  o.api = env_api && *env_api ? env_api : std::string(default_api);
  try {
    std::size_t i = 0;
    bool help = false;
    for (; i < args.size(); ++i) {
      const auto& a = args[i];
      if (a == "-h" || a == "--help") {
        help = true;
      } else if (a == "-V" || a == "--version") {
        std::cout << "slotctl " << slotd::version << '\n';
        return exit_ok;
      } else if (a == "--api") {
        o.api = flag_value(args, i, "--api");
      } else if (a == "--token-file") {
        o.token_file = flag_value(args, i, "--token-file");
      } else if (a.starts_with("-")) {
        throw usage_error{"unknown option '" + a + "'"};
      } else {
        break;
      }
    }
    if (i == args.size()) {
      if (help) {
        std::cout << usage;
        return exit_ok;
      }
      throw usage_error{"no command given"};
    }
    o.command = args[i] == "help" && i + 1 < args.size() ? args[i + 1] : args[i];
    bool command_help = args[i] == "help" || help;
    o.args.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
    for (auto& a : o.args)
      command_help = command_help || a == "--help" || a == "-h";
    if (o.command == "help") {
      std::cout << usage;
      return exit_ok;
    }
    auto* c = find_command(o.command);
    if (!c)
      throw usage_error{"unknown command '" + o.command + "'"};
    if (command_help) {
      std::cout << c->text;
      return exit_ok;
    }
    auto url = parse_url(o.api);
    std::optional<std::string> token;
    if (o.token_file) {
      token = trimmed(read_file(*o.token_file, "--token-file"));
      if (token->empty())
        throw usage_error{"--token-file " + *o.token_file + " is empty"};
    }
    if (o.command == "candidate")
      return run_candidate({url, o.api, token}, o.args);
    if (o.command == "candidates")
      return run_candidates({url, o.api, token}, o.args);
    if (o.command == "events")
      return run_events({url, o.api, token}, o.args);
    auto spec = make_request(o);
    auto answer = perform(url, spec, token);
    print_answer(answer, o.command);
    return answer.status >= 400 ? exit_refused : exit_ok;
  } catch (const usage_error& e) {
    std::cerr << "slotctl: " << e.message << " (see slotctl --help)\n";
    return exit_usage;
  } catch (const unreachable& e) {
    std::cerr << "slotctl: cannot reach slotd at " << o.api << ": " << e.message << '\n';
    return exit_unreachable;
  }
}
