#pragma once
// A small checker of the Prometheus text exposition format (0.0.4): every
// line a comment, blank, or `name{labels} value [timestamp]` with valid
// names, label syntax and numbers; TYPE/HELP once per family and before its
// samples; a family's samples together; no series twice.
#include <cctype>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace slotd::testing {

struct exposition_sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct exposition {
  std::vector<exposition_sample> samples;
  std::map<std::string, std::string> types; // family → counter, gauge, ...
  std::map<std::string, std::string> helps;
  std::vector<std::string> problems; // "line N: what"; empty when valid
};

namespace detail {

inline bool metric_name_char(char c, bool first) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}
inline bool label_name_char(char c, bool first) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || (!first && std::isdigit(static_cast<unsigned char>(c)));
}
inline bool valid_metric_name(std::string_view s) {
  if (s.empty())
    return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (!metric_name_char(s[i], i == 0))
      return false;
  return true;
}
// Go's strconv.ParseFloat forms Prometheus accepts, plus NaN and ±Inf.
inline bool parse_value(std::string_view s, double& out) {
  if (s == "NaN" || s == "+Inf" || s == "-Inf" || s == "Inf") {
    out = 0;
    return true;
  }
  if (s.empty())
    return false;
  std::string str(s);
  for (char c : str)
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
      return false;
  char* end = nullptr;
  out = std::strtod(str.c_str(), &end);
  return end == str.c_str() + str.size();
}
// The family a sample belongs to (histogram/summary suffixes folded).
inline std::string family_of(const std::string& name, const std::map<std::string, std::string>& types) {
  if (types.contains(name))
    return name;
  for (std::string_view suffix : {"_bucket", "_sum", "_count"})
    if (name.size() > suffix.size() && name.ends_with(suffix)) {
      auto base = name.substr(0, name.size() - suffix.size());
      if (types.contains(base))
        return base;
    }
  return name;
}

} // namespace detail

inline exposition parse_exposition(const std::string& text) {
  exposition out;
  if (!text.empty() && text.back() != '\n')
    out.problems.push_back("the text does not end with a newline");
  std::istringstream in(text);
  std::string line;
  int n = 0;
  std::set<std::string> closed_families; // families whose samples ended
  std::string current_family;
  std::set<std::string> series;
  auto problem = [&](const std::string& what) { out.problems.push_back("line " + std::to_string(n) + ": " + what); };
  while (std::getline(in, line)) {
    ++n;
    if (line.empty())
      continue;
    if (line[0] == '#') {
      std::istringstream ls(line.substr(1));
      std::string kind, name;
      ls >> kind >> name;
      if (kind != "HELP" && kind != "TYPE")
        continue; // a plain comment
      if (!detail::valid_metric_name(name)) {
        problem("invalid metric name in " + kind + ": '" + name + "'");
        continue;
      }
      std::string rest;
      std::getline(ls, rest);
      if (!rest.empty() && rest[0] == ' ')
        rest.erase(0, 1);
      if (kind == "TYPE") {
        static const std::set<std::string> kinds{"counter", "gauge", "histogram", "summary", "untyped"};
        if (!kinds.contains(rest))
          problem("unknown type '" + rest + "' for " + name);
        if (out.types.contains(name))
          problem("second TYPE line for " + name);
        for (auto& s : out.samples)
          if (detail::family_of(s.name, {{name, rest}}) == name) {
            problem("TYPE for " + name + " after its samples");
            break;
          }
        out.types[name] = rest;
      } else {
        if (out.helps.contains(name))
          problem("second HELP line for " + name);
        out.helps[name] = rest;
      }
      continue;
    }
    // name{labels} value [timestamp]
    std::size_t i = 0;
    while (i < line.size() && detail::metric_name_char(line[i], i == 0))
      ++i;
    exposition_sample s;
    s.name = line.substr(0, i);
    if (s.name.empty()) {
      problem("not a comment nor a sample: '" + line + "'");
      continue;
    }
    bool bad = false;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        std::size_t start = i;
        while (i < line.size() && detail::label_name_char(line[i], i == start))
          ++i;
        std::string label = line.substr(start, i - start);
        if (label.empty() || i >= line.size() || line[i] != '=' || i + 1 >= line.size() || line[i + 1] != '"') {
          problem("bad label syntax in '" + line + "'");
          bad = true;
          break;
        }
        i += 2;
        std::string value;
        bool closed = false;
        while (i < line.size()) {
          char c = line[i++];
          if (c == '"') {
            closed = true;
            break;
          }
          if (c == '\\') {
            if (i >= line.size() || (line[i] != '\\' && line[i] != '"' && line[i] != 'n')) {
              problem("bad escape in a label value in '" + line + "'");
              bad = true;
              break;
            }
            value += line[i] == 'n' ? '\n' : line[i];
            ++i;
            continue;
          }
          value += c;
        }
        if (bad)
          break;
        if (!closed) {
          problem("unterminated label value in '" + line + "'");
          bad = true;
          break;
        }
        if (s.labels.contains(label))
          problem("label " + label + " twice in '" + line + "'");
        s.labels[label] = value;
        if (i < line.size() && line[i] == ',')
          ++i;
        else if (i < line.size() && line[i] != '}') {
          problem("expected ',' or '}' in '" + line + "'");
          bad = true;
          break;
        }
      }
      if (bad)
        continue;
      if (i >= line.size()) {
        problem("unterminated label set in '" + line + "'");
        continue;
      }
      ++i; // '}'
    }
    if (i >= line.size() || line[i] != ' ') {
      problem("expected a space before the value in '" + line + "'");
      continue;
    }
    std::istringstream rest(line.substr(i + 1));
    std::string value, timestamp, extra;
    rest >> value >> timestamp >> extra;
    if (!detail::parse_value(value, s.value))
      problem("invalid value '" + value + "' in '" + line + "'");
    if (!timestamp.empty() && timestamp.find_first_not_of("-0123456789") != std::string::npos)
      problem("invalid timestamp '" + timestamp + "'");
    if (!extra.empty())
      problem("trailing text in '" + line + "'");
    auto family = detail::family_of(s.name, out.types);
    if (family != current_family) {
      if (closed_families.contains(family))
        problem("samples of " + family + " are not together");
      if (!current_family.empty())
        closed_families.insert(current_family);
      current_family = family;
    }
    std::string key = s.name;
    for (auto& [k, v] : s.labels)
      key += "|" + k + "=" + v;
    if (!series.insert(key).second)
      problem("series twice: " + key);
    out.samples.push_back(std::move(s));
  }
  return out;
}

} // namespace slotd::testing
