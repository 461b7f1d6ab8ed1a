#include "app/slotctl_http.hpp"

namespace slotd::slotctl {

std::vector<call_result> perform_all(const std::vector<call>& calls, const std::optional<std::string>& token) {
  boost::asio::io_context io;
  std::vector<call_result> results(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i)
    boost::asio::co_spawn(io, actors::http::exchange(calls[i].url, calls[i].spec, token),
                          [&results, i](std::exception_ptr ep, call_result r) {
                            results[i] = ep ? call_result{std::nullopt, "the request failed"} : std::move(r);
                          });
  io.run();
  for (auto& r : results)
    if (!r.reply && r.error.empty())
      r.error = "no answer";
  return results;
}

http_answer perform(const config::api_url& url, const request_spec& spec, const std::optional<std::string>& token) {
  auto results = perform_all({call{url, spec}}, token);
  if (!results.front().reply)
    throw unreachable{results.front().error};
  return std::move(*results.front().reply);
}

} // namespace slotd::slotctl
