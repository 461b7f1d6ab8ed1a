#pragma once
// An agent's HTTP API address, http://HOST:PORT (HOST may be [IPv6]): what
// slotctl --api takes and what a member's `api` key in the cluster view holds.
#include <string>
#include <string_view>
#include <variant>

namespace slotd::config {

struct api_url {
  std::string host;
  std::string port;
  friend bool operator==(const api_url&, const api_url&) = default;
};

// The address, or why `text` is not one (a sentence without the value).
std::variant<api_url, std::string> parse_api_url(std::string_view text);

} // namespace slotd::config
