#include "app/slotctl_events.hpp"

#include <chrono>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/slotctl_http.hpp"
#include "config/duration.hpp"
#include "pg/model/event_number.hpp"

namespace slotd::slotctl {

namespace {

using json = nlohmann::ordered_json; // the events' keys in the agent's order

std::uint64_t event_number(const std::string& text) {
  auto n = model::parse_event_number(text);
  if (!n)
    throw usage_error{"events --since: expected an event number (0 or more), not '" + text + "'"};
  return *n;
}

} // namespace

int run_events(const agent_address& agent, const std::vector<std::string>& args) {
  std::uint64_t since = 0;
  bool follow = false;
  auto every = std::chrono::milliseconds(1000);
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto value = [&](const char* flag) {
      if (i + 1 >= args.size())
        throw usage_error{std::string("events ") + flag + " needs a value"};
      return args[++i];
    };
    if (args[i] == "--since") {
      since = event_number(value("--since"));
    } else if (args[i] == "--follow" || args[i] == "-f") {
      follow = true;
    } else if (args[i] == "--interval") {
      auto d = config::parse_duration(value("--interval"));
      if (!d.value || d.value->count() <= 0)
        throw usage_error{"events --interval: " + (d.value ? std::string("must be more than 0") : d.error)};
      every = *d.value;
    } else {
      throw usage_error{"events: unexpected argument '" + args[i] + "'"};
    }
  }
  bool reached = false;
  std::string run; // the agent run the numbers count in
  for (;;) {
    request_spec spec;
    spec.target = "/events?since=" + std::to_string(since);
    http_answer a;
    try {
      a = perform(agent.url, spec, agent.token);
      reached = true;
    } catch (const unreachable& e) {
      if (!follow || !reached)
        throw;
      // Following: the agent may be restarting; keep asking.
      std::cerr << "slotctl: events: cannot reach slotd at " << agent.text << ": " << e.message << "; retrying\n";
      std::this_thread::sleep_for(every);
      continue;
    }
    auto body = json::parse(a.body, nullptr, false);
    const bool good = a.status == 200 && body.is_object() && body.contains("events") && body["events"].is_array() &&
                      body.value("run", json()).is_string() && body.value("next", json()).is_number_unsigned();
    if (!good) {
      const auto why = body.is_object() && body.contains("error") && body["error"].is_string()
                           ? body["error"].get<std::string>()
                           : a.body;
      std::cerr << "slotctl: events: " << a.status << ": " << why << '\n';
      if (!follow || a.status < 500)
        return exit_refused;
      std::this_thread::sleep_for(every); // following: a busy or restarting agent; keep asking
      continue;
    }
    const auto this_run = body["run"].get<std::string>();
    if (!run.empty() && this_run != run && since > 0) {
      // The agent restarted: its numbers start again at 1.
      std::cerr << "slotctl: events: the agent restarted (run " << this_run << "): from its first event\n";
      run = this_run;
      since = 0;
      continue;
    }
    run = this_run;
    if (auto missed = body.value("missed", json()); missed.is_number_unsigned() && missed.get<std::uint64_t>() > 0)
      std::cerr << "slotctl: events: " << missed << " events after " << since
                << " are no longer kept by the agent (see log.audit_file)\n";
    for (auto& e : body["events"])
      std::cout << e.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
    std::cout.flush();
    since = body["next"].get<std::uint64_t>();
    if (!follow)
      return exit_ok;
    std::this_thread::sleep_for(every);
  }
}

} // namespace slotd::slotctl
