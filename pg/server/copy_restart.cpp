#include "pg/server/copy_restart.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "pg/blocking.hpp"
#include "pg/client/log.hpp"
#include "pg/model/advance_errors.hpp"
#include "pg/server/fault_point.hpp"
#include "pg/server/server_state.hpp"
#include "pg/slotfile/copy_intent.hpp"

namespace slotd::pg::server {

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace sf = pg::slotfile;

constexpr auto max_backoff = 30s;

std::chrono::milliseconds since(steady::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0);
}

asio::awaitable<void> nap(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(d);
  boost::system::error_code ec;
  co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// Poll postmaster.pid until `want(status)` or `until`.
template <class Want>
asio::awaitable<bool> wait_status(const fs::path& data_dir, Want want, steady::time_point until) {
  for (;;) {
    if (want(server_status(data_dir)))
      co_return true;
    if (steady::now() >= until)
      co_return false;
    co_await nap(100ms);
  }
}

bool is_up(postmaster_status s) { return s == postmaster_status::up; }
bool is_down(postmaster_status s) { return s == postmaster_status::down; }
bool settled(postmaster_status s) { return is_up(s) || is_down(s); }

template <class F>
asio::awaitable<std::invoke_result_t<F>> blocking(asio::thread_pool& pool, F f) {
  co_return co_await pg::run_blocking(pool, std::move(f));
}

std::string describe(const pg::result<command_result>& r) {
  if (!r)
    return r.error().what();
  if (r->timed_out)
    return "timed out";
  std::string out = r->signal ? "killed by signal " + std::to_string(r->signal) : "exit " + std::to_string(r->exit_code);
  auto text = r->output;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text.empty() ? out : out + ": " + text;
}

// Start the server until postmaster.pid says it is up, at most `attempts`
// times with backoff (1 s, 2 s, ...). A server still shutting down or
// starting up is waited for, never started on top of. True when it is up.
asio::awaitable<bool> start_until_running(server_options opts, unsigned attempts, unsigned& made,
                                          std::string& error) {
  auto ex = co_await asio::this_coro::executor;
  auto backoff = 1000ms;
  for (unsigned i = 0; i < attempts; ++i) {
    co_await wait_status(opts.data_dir, settled, steady::now() + 10s);
    auto status = server_status(opts.data_dir);
    if (is_up(status))
      co_return true;
    if (is_down(status)) {
      ++made;
      auto r = co_await start_server(ex, opts);
      // pg_ctl start -w returns once the server accepts connections; a
      // custom command may return earlier or fail after a success.
      if (co_await wait_status(opts.data_dir, is_up, steady::now() + (r && r->ok() ? 2s : 5s)))
        co_return true;
      error = "starting the server failed (" + describe(r) + ")";
    } else {
      error = status == postmaster_status::stopping ? "the server is still shutting down"
                                                    : "the server is still starting up";
    }
    if (i + 1 < attempts) {
      co_await nap(backoff);
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, max_backoff);
    }
  }
  co_return false;
}

} // namespace

asio::awaitable<restart_outcome> restart_with_slot_files(asio::thread_pool& pool, server_options server,
                                                         fs::path state_dir, std::vector<sf::state_file> files,
                                                         std::vector<std::string> recopies,
                                                         std::shared_ptr<const std::atomic<bool>> cancel) {
  restart_outcome o;
  auto ex = co_await asio::this_coro::executor;
  std::vector<std::string> names;
  for (auto& f : files)
    names.push_back(f.name);
  sf::copy_intent intent{"stopping", names,
                         std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count(),
                         static_cast<long>(::getpid())};
  auto data_dir = server.data_dir;
  // Every byte is written while the server still runs: a full disk or an
  // unwritable pg_replslot is found here, and costs no restart.
  auto t0 = steady::now();
  auto staged = co_await blocking(pool, [&] { return sf::stage_slot_files(data_dir, files); });
  if (!staged) {
    o.running = true; // untouched
    o.error = "not stopping the server: cannot write the slot files: " + staged.error().what();
    co_return o;
  }
  auto written = co_await blocking(pool, [&] { return sf::write_copy_intent(state_dir, intent); });
  if (!written) {
    co_await blocking(pool, [&] { sf::remove_staged_slot_files(data_dir, names); return true; });
    o.running = true; // untouched
    o.error = "not stopping the server: cannot write the copy intent record: " + written.error().what();
    co_return o;
  }
  o.install_ms = since(t0);
  if (cancel && cancel->load()) {
    co_await blocking(pool, [&] { sf::remove_staged_slot_files(data_dir, names); return true; });
    co_await blocking(pool, [&] { return sf::remove_copy_intent(state_dir); });
    o.running = true;
    o.cancelled = true;
    o.error = "cancelled before the server was stopped";
    co_return o;
  }
  fault_point("copy:after_intent");

  t0 = steady::now();
  auto stop = co_await stop_server(ex, server);
  bool stop_ok = stop && stop->ok();
  // A failed stop may still be shutting the server down: give it time.
  bool down = co_await wait_status(server.data_dir, is_down, steady::now() + (stop_ok ? 5s : 15s));
  if (!down && server_status(server.data_dir) == postmaster_status::stopping) {
    // Half stopped: a smart shutdown (or a stop that gave up) waits for
    // sessions, slotd's own among them, while it refuses every new one.
    // Left so, the server serves nobody and never stops: finish it with a
    // fast shutdown (SIGINT to the postmaster, what pg_ctl -m fast sends;
    // no pg_ctl needed, and nothing left running if slotd goes).
    if (auto pid = running_postmaster(server.data_dir)) {
      logger().warn("the server is still shutting down after the stop command ({}): finishing with a fast "
                    "shutdown (SIGINT to postmaster {})",
                    describe(stop), *pid);
      if (::kill(*pid, SIGINT) != 0)
        logger().error("cannot signal postmaster {}: {}", *pid, std::strerror(errno));
      down = co_await wait_status(server.data_dir, is_down, steady::now() + 30s);
      if (!down)
        logger().error("the fast shutdown did not stop the server within 30 s either");
    }
  }
  o.stop_ms = since(t0);
  if (!down) {
    if (is_up(server_status(server.data_dir))) {
      // The stop did nothing: the server runs as before.
      o.running = true;
      o.error = "the server still runs after the stop command (" + describe(stop) + "): nothing installed";
      co_await blocking(pool, [&] { sf::remove_staged_slot_files(data_dir, names); return true; });
      co_await blocking(pool, [&] { return sf::remove_copy_intent(state_dir); });
    } else {
      // Still shutting down (a stop that gave up waiting): the record
      // stays, and the copier starts the server once it is down.
      o.running = false;
      o.error = "the server is still shutting down after the stop command (" + describe(stop) +
                "): nothing installed; it is started again once it is down";
    }
    co_return o;
  }
  o.stopped = true;
  if (!stop_ok)
    logger().warn("the stop command failed ({}), but the server is down: installing", describe(stop));
  if (!recopies.empty()) {
    auto error = co_await record_recopies_now(pool, state_dir, recopies);
    if (!error.empty())
      logger().error("cannot record the re-copies of {} in {}: {}", recopies.front(), state_dir.string(), error);
  }
  fault_point("copy:after_stop");

  t0 = steady::now();
  // A server restarted between the staging and the stop (a crash restart,
  // the HA manager) has removed the staged directories: stage them again.
  std::vector<sf::state_file> gone;
  for (auto& f : files)
    if (!fs::exists(sf::staged_slot_dir(data_dir, f.name) / "state"))
      gone.push_back(f);
  std::vector<std::string> committed;
  auto installed = co_await blocking(pool, [&]() -> pg::result<void> {
    if (!gone.empty())
      if (auto r = sf::stage_slot_files(data_dir, gone); !r)
        return r;
    return sf::install_staged_slot_files(data_dir, names, &committed);
  });
  o.install_ms += since(t0);
  o.installed = committed; // a failure half-way has installed some of them
  if (!installed)
    o.error = "installing the slot files failed: " + installed.error().what();
  fault_point("copy:after_install");

  // Whatever happened since the stop, the server must run again.
  t0 = steady::now();
  std::string start_error;
  o.running = co_await start_until_running(server, copy_start_attempts, o.start_attempts, start_error);
  o.start_ms = since(t0);
  if (o.running)
    co_await blocking(pool, [&] { return sf::remove_copy_intent(state_dir); });
  else
    o.error += (o.error.empty() ? "" : "; ") + start_error;
  co_return o;
}


asio::awaitable<std::string> record_recopies_now(asio::thread_pool& pool, fs::path state_dir,
                                                 std::vector<std::string> slots) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  auto window = std::chrono::duration_cast<std::chrono::seconds>(model::recopy_limiter::window);
  auto recorded =
      co_await blocking(pool, [&] { return sf::record_recopies(state_dir, slots, now.count(), window.count()); });
  co_return recorded ? std::string() : recorded.error().what();
}

asio::awaitable<restart_outcome> start_after_copy(asio::thread_pool& pool, server_options server, fs::path state_dir,
                                                  unsigned attempts) {
  restart_outcome o;
  auto t0 = steady::now();
  o.running = co_await start_until_running(server, attempts, o.start_attempts, o.error);
  o.start_ms = since(t0);
  if (o.running)
    co_await blocking(pool, [&] { return sf::remove_copy_intent(state_dir); });
  co_return o;
}

} // namespace slotd::pg::server
