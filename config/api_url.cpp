#include "config/api_url.hpp"

namespace slotd::config {

std::variant<api_url, std::string> parse_api_url(std::string_view url) {
  std::string_view rest = url;
  if (rest.starts_with("http://"))
    rest.remove_prefix(7);
  else if (rest.find("://") != std::string_view::npos)
    return std::string("only http:// URLs are supported");
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    if (rest.substr(slash) != "/")
      return std::string("give http://HOST:PORT without a path");
    rest = rest.substr(0, slash);
  }
  api_url out;
  if (rest.starts_with('[')) {
    auto close = rest.find(']');
    if (close == std::string_view::npos)
      return std::string("unclosed '[' in the host");
    out.host = std::string(rest.substr(1, close - 1));
    rest = rest.substr(close + 1);
    out.port = rest.starts_with(':') ? std::string(rest.substr(1)) : "80";
  } else {
    auto colon = rest.rfind(':');
    out.host = std::string(rest.substr(0, colon));
    out.port = colon == std::string_view::npos ? "80" : std::string(rest.substr(colon + 1));
  }
  if (out.host.empty() || out.port.empty() || out.port.size() > 5 ||
      out.port.find_first_not_of("0123456789") != std::string::npos)
    return std::string("expected http://HOST:PORT");
  return out;
}

} // namespace slotd::config
