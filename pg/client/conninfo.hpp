#pragma once
// Building conninfo strings from another one: the leader connection takes
// the local conninfo's settings (dbname, sslmode, ...) with the leader's
// host and port and the leader_auth role.
#include <map>
#include <optional>
#include <string>

#include "pg/client/result.hpp"

namespace slotd::pg {

// `base` with each key of `overrides` set (an empty value removes the key).
// Values are quoted as libpq's conninfo syntax requires.
result<std::string> conninfo_with(const std::string& base, const std::map<std::string, std::string>& overrides);

// The value of `key` in `conninfo` (nullopt when unset or unparsable).
std::optional<std::string> conninfo_get(const std::string& conninfo, const std::string& key);

} // namespace slotd::pg
