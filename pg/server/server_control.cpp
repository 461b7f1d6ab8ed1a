#include "pg/server/server_control.hpp"

#include "pg/client/log.hpp"

namespace slotd::pg::server {

namespace {

// pg_ctl's own -t wait, a little under ours so that pg_ctl reports first.
std::string pg_ctl_wait_seconds(std::chrono::milliseconds timeout) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(timeout).count();
  return std::to_string(s > 2 ? s - 1 : 1);
}

command make(const server_options& o, const std::string& shell, std::vector<std::string> pg_ctl_args,
             std::chrono::milliseconds timeout) {
  command c;
  c.run_as = o.run_as;
  c.timeout = timeout;
  if (!shell.empty()) {
    c.argv = {"/bin/sh", "-c", shell};
    return c;
  }
  c.argv = {(o.bin_dir / "pg_ctl").string(), "-D", o.data_dir.string()};
  c.argv.insert(c.argv.end(), pg_ctl_args.begin(), pg_ctl_args.end());
  return c;
}

boost::asio::awaitable<result<command_result>> run_logged(boost::asio::any_io_executor ex, command c,
                                                          const char* what) {
  auto r = co_await run_command(std::move(ex), std::move(c));
  if (!r)
    logger().error("{} server: cannot run the command: {}", what, r.error().what());
  else if (!r->ok())
    logger().error("{} server failed (exit {}, signal {}, timed out {}): {}", what, r->exit_code, r->signal,
                r->timed_out, r->output);
  else
    logger().info("{} server: done", what);
  co_return r;
}

} // namespace

command stop_command(const server_options& o) {
  return make(o, o.stop_command, {"-m", "fast", "-w", "-t", pg_ctl_wait_seconds(o.stop_timeout), "stop"},
              o.stop_timeout);
}

command start_command(const server_options& o) {
  std::vector<std::string> args{"-w", "-t", pg_ctl_wait_seconds(o.start_timeout)};
  if (o.log_file) {
    args.push_back("-l");
    args.push_back(o.log_file->string());
  }
  args.push_back("start");
  return make(o, o.start_command, std::move(args), o.start_timeout);
}

boost::asio::awaitable<result<command_result>> stop_server(boost::asio::any_io_executor executor,
                                                           server_options options) {
  co_return co_await run_logged(std::move(executor), stop_command(options), "stop");
}

boost::asio::awaitable<result<command_result>> start_server(boost::asio::any_io_executor executor,
                                                            server_options options) {
  co_return co_await run_logged(std::move(executor), start_command(options), "start");
}

} // namespace slotd::pg::server
