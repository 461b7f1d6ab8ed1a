#include "pg/client/redact.hpp"

#include <cctype>

namespace slotd::pg {

namespace {

constexpr std::string_view mask = "***";

bool iequals_at(std::string_view text, std::size_t pos, std::string_view word) {
  if (pos + word.size() > text.size())
    return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[pos + i])) != word[i])
      return false;
  return true;
}

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// End of a value starting at `pos`: a quoted value runs to its closing quote
// (backslash escapes), an unquoted one to whitespace, '&' (URI query) or end.
std::size_t value_end(std::string_view text, std::size_t pos) {
  if (pos < text.size() && text[pos] == '\'') {
    std::size_t i = pos + 1;
    while (i < text.size() && text[i] != '\'') {
      if (text[i] == '\\' && i + 1 < text.size())
        ++i;
      ++i;
    }
    return i < text.size() ? i + 1 : i;
  }
  std::size_t i = pos;
  while (i < text.size() && !is_space(text[i]) && text[i] != '&' && text[i] != '\'' && text[i] != '"')
    ++i;
  return i;
}

// "password[ ]=[ ]value" anywhere in the text.
std::string redact_keyword(std::string_view text) {
  constexpr std::string_view key = "password";
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (iequals_at(text, i, key)) {
      std::size_t j = i + key.size();
      while (j < text.size() && is_space(text[j]))
        ++j;
      if (j < text.size() && text[j] == '=') {
        ++j;
        while (j < text.size() && is_space(text[j]))
          ++j;
        out.append(text.substr(i, j - i));
        out.append(mask);
        i = value_end(text, j);
        continue;
      }
    }
    out.push_back(text[i]);
    ++i;
  }
  return out;
}

// "scheme://user:secret@host" -> "scheme://user:***@host".
std::string redact_userinfo(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    auto scheme = text.find("://", i);
    if (scheme == std::string_view::npos)
      break;
    std::size_t start = scheme + 3;
    std::size_t end = start;
    while (end < text.size() && text[end] != '@' && text[end] != '/' && !is_space(text[end]))
      ++end;
    out.append(text.substr(i, start - i));
    if (end < text.size() && text[end] == '@') {
      auto userinfo = text.substr(start, end - start);
      auto colon = userinfo.find(':');
      if (colon != std::string_view::npos) {
        out.append(userinfo.substr(0, colon + 1));
        out.append(mask);
      } else {
        out.append(userinfo);
      }
      i = end;
    } else {
      i = start;
    }
  }
  out.append(text.substr(i));
  return out;
}

} // namespace

std::string redact_conninfo(std::string_view text) { return redact_keyword(redact_userinfo(text)); }

} // namespace slotd::pg
