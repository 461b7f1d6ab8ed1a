#pragma once
// Conninfo redaction: no password ever reaches a log line or an error.
#include <string>
#include <string_view>

namespace slotd::pg {

// Replaces every password value with "***" in a conninfo string, key=value
// ("password=x", "password = 'a b\'c'") or URI ("postgresql://u:x@h/db",
// "?password=x") form, and in any text that embeds one (error messages).
std::string redact_conninfo(std::string_view text);

} // namespace slotd::pg
