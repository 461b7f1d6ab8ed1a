#include "actors/json_text.hpp"
#include "actors/agent.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/after.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/system_messages.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <map>
#include <mutex>

#include "actors/io_bridge.hpp"
#include "actors/log_format.hpp"
#include "actors/api_gateway.hpp"
#include "actors/spawn.hpp"

namespace slotd::actors {

namespace {

// One JSON object per line: time, level, logger, message (escaped); to the
// journal with the line's syslog priority in front.
class json_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
  explicit json_sink(bool journal) : journal_(journal) {}

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    auto t = std::chrono::system_clock::to_time_t(msg.time);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count() % 1000;
    nlohmann::json j = {{"time", fmt::format("{}.{:03}Z", buf, ms)},
                        {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                                              spdlog::level::to_string_view(msg.level).size())},
                        {"logger", std::string(msg.logger_name.data(), msg.logger_name.size())},
                        {"msg", std::string(msg.payload.data(), msg.payload.size())}};
    auto line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    if (journal_)
      line = fmt::format("<{}>", journal_priority(msg.level)) + line;
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }

private:
  bool journal_;
};

// Text lines to the journal: "<priority>level [logger] message", the
// priority again in front of each further line of a message that has
// several (a libpq error with its hint), so that journald gives every line
// the message's priority.
class journal_text_sink final : public spdlog::sinks::base_sink<std::mutex> {
protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    std::string_view text(buf.data(), buf.size());
    auto prefix = fmt::format("<{}>", journal_priority(msg.level));
    std::string out;
    while (!text.empty()) {
      auto nl = text.find('\n');
      auto line = text.substr(0, nl);
      out += prefix;
      out += line;
      out += '\n';
      text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    }
    std::fwrite(out.data(), 1, out.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }
};

} // namespace

void make_loggers(const std::string& level, bool json) {
  bool journal = stderr_is_journal();
  spdlog::sink_ptr sink;
  if (json)
    sink = std::make_shared<json_sink>(journal);
  else if (journal)
    sink = std::make_shared<journal_text_sink>();
  else
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto lvl = spdlog::level::from_str(level);
  for (const char* name : {"ha", "slots", "pg", "api", "slotd"}) {
    spdlog::drop(name);
    auto lg = std::make_shared<spdlog::logger>(name, sink);
    lg->set_level(lvl);
    if (!json && journal)
      lg->set_pattern("%l [%n] %v"); // the journal stamps the time
    else if (!json)
      lg->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ [%n] %v");
    lg->flush_on(spdlog::level::info);
    spdlog::register_logger(lg);
  }
  spdlog::set_default_logger(spdlog::get("slotd"));
}

namespace {

// Monitors the core actors; one that ends for any reason but a shutdown is
// reported (once) to the handler.
caf::behavior watchdog(caf::event_based_actor* self, std::vector<caf::actor> watched,
                       std::map<caf::actor_addr, std::string> names, agent::failure_handler on_failure) {
  for (auto& a : watched)
    self->monitor(a);
  auto reported = std::make_shared<bool>(false);
  self->set_down_handler([=](caf::down_msg& m) {
    if (!m.reason || m.reason == caf::exit_reason::user_shutdown || *reported)
      return;
    *reported = true;
    auto it = names.find(m.source);
    auto text = (it != names.end() ? it->second : std::string("an actor")) + " ended: " + caf::to_string(m.reason);
    spdlog::get("slotd")->critical("{}: the agent cannot work without it", text);
    if (on_failure)
      on_failure(text);
  });
  return {[](dump_atom) {}};
}

} // namespace

agent::agent(caf::actor_system& sys, io_runtime& io, ha_settings settings, failure_handler on_failure) : sys_(sys) {
  pg::connection_options local_opts;
  local_opts.conninfo = settings.cfg.postgresql.conninfo;
  local_opts.statement_timeout = std::chrono::milliseconds(2000); // docs/slot-rules.md §2.7: the heartbeat connection
  local_ = spawn_local_connection(sys, io, local_opts);
  leader_ = spawn_leader_connection(sys, io);
  ha_ = spawn_ha_loop(sys, io, std::move(settings), local_, leader_);
  promote_ = spawn_promote_handler(sys, ha_);
  gateway_ = spawn_api_gateway(sys, ha_, promote_);
  std::vector<caf::actor> core{caf::actor_cast<caf::actor>(local_), caf::actor_cast<caf::actor>(leader_),
                               caf::actor_cast<caf::actor>(ha_), caf::actor_cast<caf::actor>(promote_),
                               caf::actor_cast<caf::actor>(gateway_)};
  std::map<caf::actor_addr, std::string> names{{core[0].address(), "the local connection"},
                                               {core[1].address(), "the leader connection"},
                                               {core[2].address(), "the HA loop"},
                                               {core[3].address(), "the promote handler"},
                                               {core[4].address(), "the api gateway"}};
  watchdog_ = sys.spawn(watchdog, core, names, std::move(on_failure));
}

agent::~agent() { shutdown(); }

std::string agent::dump_state(std::chrono::milliseconds timeout) {
  caf::scoped_actor self{sys_};
  std::string text;
  self->request(gateway_, timeout, api_command{api_read::state})
      .receive(
          [&](api_answer& a) {
            if (auto* s = std::get_if<state_reply>(&a))
              text = json_text(s->dumps, 2);
            else if (auto* f = std::get_if<api_failure>(&a))
              text = json_text(nlohmann::json{{"error", f->message}}, 2);
          },
               [&](caf::error& e) { text = json_text(nlohmann::json{{"error", caf::to_string(e)}}, 2); });
  return text;
}

void agent::shutdown() {
  if (down_)
    return;
  down_ = true;
  caf::scoped_actor self{sys_};
  // A slot copy that has stopped the local server finishes first (bounded):
  // the server is started again before the agent goes.
  self->request(ha_, std::chrono::seconds(330), stop_atom_v)
      .receive([](bool) {},
               [](caf::error& e) {
                 spdlog::get("slotd")->warn("shutdown: the slot copier did not finish: {}", caf::to_string(e));
               });
  // This agent's actors only (other agents may share the actor system):
  // the HA loop's list includes the advance workers it spawned.
  std::vector<caf::actor> mine;
  self->request(ha_, std::chrono::seconds(5), actors_atom_v)
      .receive(
          [&](ha_helpers& h) {
            mine.push_back(caf::actor_cast<caf::actor>(h.copier));
            for (auto& w : h.workers)
              mine.push_back(caf::actor_cast<caf::actor>(w));
            if (h.members)
              mine.push_back(caf::actor_cast<caf::actor>(h.members));
          },
          [&](caf::error&) {});
  self->send_exit(watchdog_, caf::exit_reason::user_shutdown); // a shutdown is no failure
  mine.push_back(caf::actor_cast<caf::actor>(gateway_));
  mine.push_back(caf::actor_cast<caf::actor>(promote_));
  mine.push_back(caf::actor_cast<caf::actor>(ha_));
  mine.push_back(caf::actor_cast<caf::actor>(leader_));
  mine.push_back(caf::actor_cast<caf::actor>(local_));
  std::size_t waiting = 0;
  for (auto& a : mine) {
    self->monitor(a);
    ++waiting;
  }
  for (auto& a : mine)
    self->send_exit(a, caf::exit_reason::user_shutdown);
  bool timed_out = false;
  while (waiting > 0 && !timed_out) {
    self->receive([&](caf::down_msg&) { --waiting; },
                  caf::after(std::chrono::seconds(10)) >> [&] { timed_out = true; });
  }
  if (timed_out)
    spdlog::get("slotd")->warn("shutdown: {} actor(s) did not stop within 10 s", waiting);
}

} // namespace slotd::actors
