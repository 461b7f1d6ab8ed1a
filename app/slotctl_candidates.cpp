#include "app/slotctl_candidates.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <variant>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/slotctl_http.hpp"
#include "config/duration.hpp"
#include "pg/model/candidate.hpp"

namespace slotd::slotctl {

namespace {

using json = nlohmann::json;

constexpr std::chrono::milliseconds default_deadline{5000};

std::chrono::milliseconds deadline_flag(const std::vector<std::string>& args, std::size_t& i, std::string_view cmd) {
  if (i + 1 >= args.size())
    throw usage_error{std::string(cmd) + ": --timeout needs a value"};
  auto d = config::parse_duration(args[++i]);
  if (!d.value)
    throw usage_error{std::string(cmd) + " --timeout: " + d.error};
  return *d.value;
}

void print_json(const json& j) { std::cout << (isatty(STDOUT_FILENO) ? j.dump(2) : j.dump()) << '\n'; }

std::optional<pg::lsn> lsn_field(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string())
    return std::nullopt;
  return pg::lsn::parse(j[key].get<std::string>());
}

// A /candidate answer, or why there is none.
struct answer {
  std::string name;
  std::string api;
  std::optional<json> body;
  std::string error;
};

answer read_answer(std::string name, std::string api, const call_result& r) {
  answer a{std::move(name), std::move(api), std::nullopt, ""};
  if (!r.reply) {
    a.error = r.error;
    return a;
  }
  auto j = json::parse(r.reply->body, nullptr, false);
  if (r.reply->status != 200) {
    a.error = "answered " + std::to_string(r.reply->status) +
              (j.is_object() && j.contains("error") && j["error"].is_string() ? ": " + j["error"].get<std::string>()
                                                                               : "");
  } else if (!j.is_object() || !j.contains("loses_nothing") || !j["loses_nothing"].is_boolean() ||
             !j.contains("name") || !j["name"].is_string()) {
    a.error = "the answer is not a /candidate answer (an older slotd?)";
  } else {
    a.body = std::move(j);
  }
  return a;
}

model::candidate_summary summarize(const answer& a) {
  model::candidate_summary c;
  c.name = a.name;
  if (!a.body) {
    c.error = a.error;
    return c;
  }
  const auto& j = *a.body;
  c.reachable = true;
  auto text = [&](const char* key) { return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : ""; };
  auto count = [&](const char* key) {
    return j.contains(key) && j[key].is_number_unsigned() ? j[key].get<std::uint64_t>() : std::uint64_t{0};
  };
  auto role = text("role");
  c.leader = role == "primary" || role == "promoting";
  c.loses_nothing = j["loses_nothing"].get<bool>();
  // What the node has received; a standby whose WAL receiver has not run
  // since it started reports none, and then what it replayed counts.
  auto received = lsn_field(j, "receive_lsn");
  auto replayed = lsn_field(j, "replay_lsn");
  c.receive_lsn = received && replayed ? std::max(*received, *replayed) : received ? received : replayed;
  if (c.leader) // a primary writes its WAL: its position is its own
    c.receive_lsn = lsn_field(j, "current_lsn");
  c.slots_behind = count("slots_behind");
  c.bytes_behind = count("bytes_behind");
  c.nofailover = j.contains("nofailover") && j["nofailover"].is_boolean() && j["nofailover"].get<bool>();
  return c;
}

std::string verdict_text(const model::candidate_summary& c) {
  if (!c.reachable)
    return "unreachable";
  if (c.leader)
    return "leader";
  if (c.nofailover)
    return c.loses_nothing ? "nofailover" : "nofailover, loses";
  return c.loses_nothing ? "loses nothing" : "loses";
}

std::string note_of(const model::candidate_summary& c, const answer& a) {
  if (!c.reachable)
    return a.error;
  if (!a.body)
    return "";
  std::string note;
  const auto& body = *a.body;
  if (body.contains("reasons") && body["reasons"].is_array())
    for (auto& r : body["reasons"])
      if (r.is_string())
        note += (note.empty() ? "" : "; ") + r.get<std::string>();
  if (body.contains("leader_sample") && body["leader_sample"].is_object()) {
    const auto& sample = body["leader_sample"];
    if (sample.contains("age_seconds") && sample["age_seconds"].is_number())
      note += fmt::format("{}leader sample {:.1f} s old{}", note.empty() ? "" : "; ",
                          sample["age_seconds"].get<double>(),
                          sample.contains("error") && sample["error"].is_string() ? " (leader unreachable)" : "");
  }
  return note;
}

} // namespace

int run_candidate(const agent_address& agent, const std::vector<std::string>& args) {
  request_spec spec;
  spec.target = "/candidate";
  spec.timeout = default_deadline;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--timeout")
      spec.timeout = deadline_flag(args, i, "candidate");
    else
      throw usage_error{"candidate: unexpected argument '" + args[i] + "'"};
  }
  auto results = perform_all({call{agent.url, spec}}, agent.token);
  auto a = read_answer("", agent.text, results.front());
  if (!results.front().reply)
    throw unreachable{results.front().error};
  if (!a.body) {
    std::cerr << "slotctl: candidate: " << a.error << '\n';
    return exit_refused;
  }
  print_json(*a.body);
  return (*a.body)["loses_nothing"].get<bool>() ? exit_ok : exit_refused;
}

int run_candidates(const agent_address& agent, const std::vector<std::string>& args) {
  request_spec spec;
  spec.target = "/candidate";
  spec.timeout = default_deadline;
  bool as_json = false;
  std::map<std::string, std::string> members; // name → API URL ("" when unknown)
  bool members_given = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--timeout") {
      spec.timeout = deadline_flag(args, i, "candidates");
    } else if (args[i] == "--json") {
      as_json = true;
    } else if (args[i] == "--members") {
      if (i + 1 >= args.size())
        throw usage_error{"candidates: --members needs NAME=URL[,NAME=URL...]"};
      members_given = true;
      std::string list = args[++i];
      std::size_t start = 0;
      while (start <= list.size()) {
        auto end = list.find(',', start);
        auto item = list.substr(start, end == std::string::npos ? std::string::npos : end - start);
        start = end == std::string::npos ? list.size() + 1 : end + 1;
        if (item.empty())
          continue;
        auto eq = item.find('=');
        if (eq == std::string::npos || eq == 0)
          throw usage_error{"candidates --members: '" + item + "' is not NAME=URL"};
        auto url = item.substr(eq + 1);
        auto parsed = config::parse_api_url(url);
        if (auto* why = std::get_if<std::string>(&parsed))
          throw usage_error{"candidates --members: " + item.substr(0, eq) + "=" + url + ": " + *why};
        if (!members.emplace(item.substr(0, eq), url).second)
          throw usage_error{"candidates --members: " + item.substr(0, eq) + " is given twice"};
      }
    } else {
      throw usage_error{"candidates: unexpected argument '" + args[i] + "'"};
    }
  }
  if (members_given && members.empty())
    throw usage_error{"candidates --members: no member given"};

  std::vector<answer> answers;
  if (!members_given) {
    // The members and their agents' addresses come from the agent's view.
    auto first = perform_all({call{agent.url, spec}}, agent.token);
    auto a = read_answer("", agent.text, first.front());
    if (!a.body) {
      std::cerr << "slotctl: candidates: cannot learn the members from slotd at " << agent.text << ": " << a.error
                << " (give --members NAME=URL,...)\n";
      return first.front().reply ? exit_refused : exit_unreachable;
    }
    a.name = (*a.body)["name"].get<std::string>();
    auto listed = (*a.body)["members"];
    if (!listed.is_object())
      listed = json::object();
    for (auto& [name, m] : listed.items())
      members[name] = m.is_object() && m["api"].is_string() ? m["api"].get<std::string>() : "";
    members.erase(a.name);
    answers.push_back(std::move(a));
  }
  std::vector<call> calls;
  std::vector<std::string> asked;
  for (auto& [name, url] : members) {
    if (url.empty()) {
      answers.push_back({name, "", std::nullopt,
                         "no agent address for this member: set members." + name + ".api in the cluster view"});
      continue;
    }
    auto parsed = config::parse_api_url(url);
    if (auto* why = std::get_if<std::string>(&parsed)) {
      answers.push_back({name, url, std::nullopt, "members." + name + ".api " + url + ": " + *why});
      continue;
    }
    calls.push_back({std::get<config::api_url>(parsed), spec});
    asked.push_back(name);
  }
  auto results = perform_all(calls, agent.token);
  for (std::size_t i = 0; i < results.size(); ++i) {
    auto a = read_answer(asked[i], members[asked[i]], results[i]);
    if (a.body && (*a.body)["name"].get<std::string>() != asked[i]) {
      a.error = "the agent at " + a.api + " is " + (*a.body)["name"].get<std::string>() + ", not " + asked[i];
      a.body.reset();
    }
    answers.push_back(std::move(a));
  }

  std::vector<model::candidate_summary> summaries;
  std::map<std::string, const answer*> by_name;
  for (auto& a : answers) {
    summaries.push_back(summarize(a));
    by_name[a.name] = &a;
  }
  auto ranked = model::rank_candidates(std::move(summaries));
  std::optional<std::string> choice;
  for (auto& c : ranked)
    if (model::is_safe_choice(c)) {
      choice = c.name;
      break;
    }

  if (as_json) {
    json list = json::array();
    int rank = 0;
    for (auto& c : ranked) {
      const auto& a = *by_name[c.name];
      bool candidate = c.reachable && !c.leader;
      list.push_back({{"name", c.name},
                      {"api", a.api},
                      {"rank", candidate ? json(++rank) : json(nullptr)},
                      {"verdict", verdict_text(c)},
                      {"reachable", c.reachable},
                      {"leader", c.leader},
                      {"loses_nothing", c.loses_nothing},
                      {"nofailover", c.nofailover},
                      {"received_lsn", c.receive_lsn ? json(c.receive_lsn->str()) : json(nullptr)},
                      {"slots_behind", c.slots_behind},
                      {"bytes_behind", c.bytes_behind},
                      {"error", c.reachable ? json(nullptr) : json(c.error)},
                      {"answer", a.body ? *a.body : json(nullptr)}});
    }
    print_json({{"choice", choice ? json(*choice) : json(nullptr)}, {"candidates", list}});
  } else {
    std::cout << fmt::format("{:<4} {:<16} {:<18} {:<14} {:>12} {:>14}  {}\n", "RANK", "NAME", "VERDICT", "RECEIVED",
                             "SLOTS BEHIND", "BYTES BEHIND", "NOTE");
    int rank = 0;
    for (auto& c : ranked) {
      bool candidate = c.reachable && !c.leader;
      std::cout << fmt::format("{:<4} {:<16} {:<18} {:<14} {:>12} {:>14}  {}\n",
                               candidate ? std::to_string(++rank) : "-", c.name, verdict_text(c),
                               c.receive_lsn ? c.receive_lsn->str() : "-", c.reachable ? std::to_string(c.slots_behind) : "-",
                               c.reachable ? std::to_string(c.bytes_behind) : "-", note_of(c, *by_name[c.name]));
    }
    std::cout << (choice ? "choose: " + *choice : std::string("no member can be promoted without loss")) << '\n';
  }
  return choice ? exit_ok : exit_refused;
}

} // namespace slotd::slotctl
