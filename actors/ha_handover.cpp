// The handover of final slot positions at a planned switchover:
// - on the old primary, GET /final-positions: once its server is stopped,
//   each logical slot's last confirmed_flush_lsn from the state files the
//   shutdown checkpoint wrote, raised to the last live sample where that is
//   higher (pg/model/promotion: merge_final_positions), with the shutdown
//   checkpoint from pg_controldata (global/pg_control itself when bin_dir
//   has no pg_controldata);
// - on the candidate, a promote with handover_from fetches them from the
//   old primary's agent (its `api` in the cluster view), within a bound.
#include <functional>

#include <nlohmann/json.hpp>

#include "actors/ha_steps.hpp"
#include "actors/http_client.hpp"
#include "actors/io_bridge.hpp"
#include "actors/json_text.hpp"
#include "pg/blocking.hpp"
#include "pg/server/server_state.hpp"
#include "pg/server/stopped_server.hpp"

namespace slotd::actors::ha {

namespace {

using json = nlohmann::json;

// What the I/O thread found in the stopped server's data directory.
struct stopped_reading {
  bool done = false;   // false: the reading failed with an exception
  std::string refusal; // non-empty: answer 409 with it
  std::string error;   // non-empty: answer 503 with it
  model::final_positions files;
  pg::server::control_data control;
};

boost::asio::awaitable<stopped_reading> read_stopped(io_runtime* io, std::filesystem::path data_dir,
                                                     std::filesystem::path bin_dir, std::optional<std::string> run_as) {
  stopped_reading out;
  auto& pool = io->blocking_pool();
  // g++ 12: temporaries in a co_await expression may be destroyed twice;
  // every argument is named first.
  auto read_status = [data_dir] { return pg::server::server_status(data_dir); };
  auto status = co_await pg::run_blocking(pool, read_status);
  if (status != pg::server::postmaster_status::down) {
    out.done = true;
    out.refusal = "the local server is not stopped: final positions are read once it is (stop it first, then "
                  "promote the candidate)";
    co_return out;
  }
  auto read_files = [data_dir] {
    auto read = pg::server::read_logical_slot_files(data_dir);
    return read ? std::make_pair(std::move(*read), std::string())
                : std::make_pair(model::final_positions{}, read.error().what());
  };
  auto files = co_await pg::run_blocking(pool, read_files);
  if (!files.second.empty()) {
    out.error = files.second;
    co_return out;
  }
  out.files = std::move(files.first);
  // A bin_dir without pg_controldata (a server-only install): global/pg_control
  // itself. nullopt: run pg_controldata (from bin_dir, or PATH when empty).
  auto read_control = [bin_dir, data_dir]() -> std::optional<pg::result<pg::server::control_data>> {
    std::error_code ec;
    if (bin_dir.empty() || std::filesystem::exists(bin_dir / "pg_controldata", ec))
      return std::nullopt;
    return pg::server::read_control_file(data_dir);
  };
  auto direct = co_await pg::run_blocking(pool, read_control);
  pg::result<pg::server::control_data> control = pg::server::control_data{};
  if (direct) {
    control = std::move(*direct);
  } else {
    auto executor = co_await boost::asio::this_coro::executor;
    auto controldata = pg::server::controldata_command(bin_dir, data_dir, run_as);
    auto ran = co_await pg::server::run_command(executor, controldata);
    if (!ran || !ran->ok()) {
      out.error = "pg_controldata failed: " + (ran ? ran->output : ran.error().what());
      co_return out;
    }
    control = pg::server::parse_controldata(ran->output);
  }
  if (!control) {
    out.error = control.error().what();
    co_return out;
  }
  out.control = *control;
  out.done = true;
  co_return out;
}

final_positions_reply refused_final(refusal why, std::string error) {
  final_positions_reply r;
  r.refused = why;
  r.error = std::move(error);
  return r;
}

// The /final-positions answer as the candidate reads it: from member
// `from` (an address that answers as another member is refused), after a
// clean shutdown (a crash leaves state files behind what consumers
// confirmed).
handover_fetch parse_final(const http::result& r, const std::string& from) {
  handover_fetch out;
  if (!r.reply) {
    out.error = r.error.empty() ? "no answer" : r.error;
    return out;
  }
  auto j = json::parse(r.reply->body, nullptr, false);
  auto text = [&](const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  if (r.reply->status != 200) {
    out.error = "answered " + std::to_string(r.reply->status) + (text("error").empty() ? "" : ": " + text("error"));
    return out;
  }
  if (!j.is_object() || !j.contains("slots") || !j["slots"].is_object()) {
    out.error = "the answer has no slots";
    return out;
  }
  if (text("name") != from) {
    out.error = "the agent at members." + from + ".api is '" + text("name") + "', not " + from;
    return out;
  }
  if (!j.contains("clean_shutdown") || !j["clean_shutdown"].is_boolean() || !j["clean_shutdown"].get<bool>()) {
    out.error = "the old primary did not shut down cleanly (" + text("cluster_state") + "): its state files may be "
                "behind what its consumers confirmed";
    return out;
  }
  out.checkpoint_lsn = pg::lsn::parse(text("checkpoint_lsn")); // null when it did not say
  std::map<std::string, pg::lsn> positions;
  for (auto& [name, s] : j["slots"].items()) {
    auto at = s.is_object() && s.contains("confirmed_flush_lsn") && s["confirmed_flush_lsn"].is_string()
                  ? s["confirmed_flush_lsn"].get<std::string>()
                  : std::string();
    auto l = pg::lsn::parse(at);
    if (!l) {
      out.error = "slot " + name + ": '" + at + "' is not an LSN";
      return out;
    }
    positions[name] = *l;
  }
  out.positions = std::move(positions);
  return out;
}

} // namespace

void on_final_positions(self_ptr self, caf::typed_response_promise<final_positions_reply> rp) {
  auto& st = self->state;
  if (st.role != model::node_role::primary) {
    rp.deliver(refused_final(refusal::busy, "this node is not the primary (role " + role_name(st) +
                                                "): only the old primary hands its final positions over"));
    return;
  }
  const auto& pgc = st.settings.cfg.postgresql;
  on_io<stopped_reading>(
      *st.io, self,
      [io = st.io, data_dir = std::filesystem::path(pgc.data_dir), bin_dir = std::filesystem::path(pgc.bin_dir),
       run_as = st.settings.run_as] { return read_stopped(io, data_dir, bin_dir, run_as); },
      [self, rp](stopped_reading r) mutable {
        const auto& state = self->state;
        if (!r.done && r.error.empty())
          r.error = "reading the stopped server's data directory failed (see the log)";
        if (!r.refusal.empty()) {
          rp.deliver(refused_final(refusal::busy, r.refusal));
        } else if (!r.error.empty()) {
          log_ha()->error("final positions: {}", r.error);
          rp.deliver(refused_final(refusal::unavailable, r.error));
        } else {
          auto last =
              state.local_snap && !state.local_snap->in_recovery ? state.local_snap->slots : model::slot_cache{};
          auto positions = model::merge_final_positions(r.files, last);
          log_ha()->info("final positions handed over ({} slots, {}, checkpoint {})", positions.size(),
                         r.control.cluster_state, r.control.checkpoint ? r.control.checkpoint->str() : "?");
          final_positions_reply out;
          out.name = state.my_name();
          out.cluster_state = r.control.cluster_state;
          out.clean_shutdown = r.control.clean_shutdown();
          out.checkpoint_lsn = r.control.checkpoint;
          out.slots = std::move(positions);
          out.as_of = wall_clock::now();
          rp.deliver(std::move(out));
        }
      });
}

void fetch_handover(self_ptr self, const std::string& from, std::chrono::milliseconds timeout,
                    std::function<void(handover_fetch)> done) {
  auto& st = self->state;
  auto m = st.view.members.find(from);
  if (m == st.view.members.end() || !m->second.api) {
    done({std::nullopt, "member " + from + " has no api address in the cluster view (members." + from + ".api)", std::nullopt});
    return;
  }
  auto parsed = config::parse_api_url(*m->second.api);
  if (auto* why = std::get_if<std::string>(&parsed)) {
    done({std::nullopt, "members." + from + ".api: " + *why, std::nullopt});
    return;
  }
  http::request_spec spec;
  spec.target = "/final-positions";
  // Connecting and answering share the bound.
  spec.connect_timeout = timeout / 2;
  spec.timeout = timeout / 2;
  on_io<http::result>(
      *st.io, self,
      [url = std::get<config::api_url>(parsed), spec] { return http::exchange(url, spec, std::nullopt); },
      [done = std::move(done), from](http::result r) { done(parse_final(r, from)); });
}

} // namespace slotd::actors::ha
