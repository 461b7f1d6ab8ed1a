#include "app/api/api_service.hpp"

#include <stdexcept>

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "actors/agent.hpp"
#include "actors/api_gateway.hpp"
#include "actors/io_bridge.hpp"
#include "config/file_checks.hpp"

namespace slotd::api {

server_options options_from(const config::api_config& api) {
  server_options o;
  o.listen = api.listen;
  if (!api.token_file.empty()) {
    std::string error;
    o.auth.token = config::read_token_file(api.token_file, error);
    if (!o.auth.token)
      throw std::runtime_error(error);
  }
  return o;
}

api_service::api_service(caf::actor_system& sys, actors::io_runtime& io, const actors::agent& agent,
                         server_options options)
    : listen_(options.listen), sys_(sys),
      gateway_(agent.gateway()) {
  server_ = std::make_unique<http_server>(io.context(), gateway_, std::move(options));
}

api_service::~api_service() { stop(); }

bool api_service::reload(const config::api_config& api) {
  auto o = options_from(api);
  if (server_)
    server_->set_auth(std::move(o.auth));
  return api.listen == listen_;
}

void api_service::stop() {
  if (server_)
    server_->stop();
  gateway_ = nullptr; // the agent's: it ends with the agent
}

} // namespace slotd::api
