#pragma once
// Light aliases shared by the client and the query builders (no Asio here).
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace slotd::pg {

using clock = std::chrono::steady_clock;
using deadline = clock::time_point;
using params = std::vector<std::optional<std::string>>; // text parameters, nullopt = NULL

} // namespace slotd::pg
