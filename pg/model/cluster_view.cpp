#include "pg/model/cluster_view.hpp"

#include <cstdio>

namespace slotd::model {

std::string_view to_string(retention_action a) {
  return a == retention_action::drop_inactive ? "drop_inactive" : "alert";
}

std::string_view to_string(slot_type t) {
  return t == slot_type::logical ? "logical" : "physical";
}

namespace {
// Decode one UTF-8 code point starting at s[i]; advances i. Invalid bytes are
// taken as single code points (their byte value).
char32_t next_code_point(std::string_view s, std::size_t& i) {
  auto b0 = static_cast<unsigned char>(s[i]);
  int extra = b0 >= 0xF0 ? 3 : b0 >= 0xE0 ? 2 : b0 >= 0xC0 ? 1 : 0;
  if (extra == 0 || i + static_cast<std::size_t>(extra) >= s.size()) {
    ++i;
    return b0;
  }
  char32_t cp = b0 & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) {
    auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return b0;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  i += static_cast<std::size_t>(extra) + 1;
  return cp;
}
} // namespace

std::string slot_name_from_member_name(std::string_view member_name) {
  std::string out;
  for (std::size_t i = 0; i < member_name.size();) {
    char32_t cp = next_code_point(member_name, i);
    if (cp >= 'A' && cp <= 'Z')
      cp = cp - 'A' + 'a';
    // Python's str.lower() also lowers non-ASCII letters; slotd lowers ASCII
    // only and encodes the rest, which keeps names stable across locales.
    if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') || cp == '_') {
      out.push_back(static_cast<char>(cp));
    } else if (cp == '-' || cp == '.') {
      out.push_back('_');
    } else {
      char buf[16];
      std::snprintf(buf, sizeof buf, "u%04u", static_cast<unsigned>(cp));
      out += buf;
    }
  }
  if (out.size() > 63)
    out.resize(63);
  return out;
}

bool is_valid_slot_name(std::string_view name) {
  if (name.empty() || name.size() > 63)
    return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

} // namespace slotd::model
