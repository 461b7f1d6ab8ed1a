#include "config/yaml_reader.hpp"

#include <algorithm>
#include <charconv>
#include <map>

namespace slotd::config {

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
  case YAML::NodeType::Map:
    return "a map";
  case YAML::NodeType::Sequence:
    return "a list";
  case YAML::NodeType::Scalar:
    return "'" + n.Scalar() + "'";
  default:
    return "empty";
  }
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

yaml_reader::yaml_reader(std::string file, std::string top_phrase, std::span<const keys::home> homes)
    : file_(std::move(file)), top_phrase_(std::move(top_phrase)), homes_(homes) {}

void yaml_reader::error(const YAML::Mark& at, std::string message) {
  // An empty document has no position at all: point at its start.
  const bool null = at.is_null();
  diagnostics_.push_back({file_, null ? 1 : at.line + 1, null ? 1 : at.column + 1, std::move(message),
                          severity::error});
  ++errors_;
}

void yaml_reader::warning(const YAML::Mark& at, std::string message) {
  const bool null = at.is_null();
  diagnostics_.push_back({file_, null ? 1 : at.line + 1, null ? 1 : at.column + 1, std::move(message),
                          severity::warning});
}

std::optional<YAML::Node> yaml_reader::parse_document(const std::string& text) {
  try {
    std::vector<YAML::Node> documents = YAML::LoadAll(text);
    if (documents.empty())
      return YAML::Node();
    if (documents.size() > 1) {
      error(documents[1].Mark(), "only one YAML document is allowed");
      return std::nullopt;
    }
    return documents.front();
  } catch (const YAML::Exception& e) {
    error(e.mark, e.msg);
    return std::nullopt;
  }
}

std::string yaml_reader::where(const std::string& path) const {
  return path.empty() ? top_phrase_ : "in " + path;
}

std::string yaml_reader::one_of(std::span<const std::string_view> words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0)
      out += i + 1 == words.size() ? " or " : ", ";
    out += words[i];
  }
  return out;
}

std::string yaml_reader::belongs(std::string_view key) const {
  std::vector<std::string_view> places;
  for (const keys::home& h : homes_)
    if (std::find(h.keys.begin(), h.keys.end(), key) != h.keys.end())
      places.push_back(h.where);
  return places.empty() ? "" : "it belongs " + one_of(places);
}

bool yaml_reader::each_entry(const YAML::Node& map, const YAML::Mark& at, const std::string& path,
                             const entry_handler& handle) {
  if (map.IsNull())
    return true;
  if (!map.IsMap()) {
    error(at, (path.empty() ? std::string("the document") : path) + " must be a map, not " + describe(map));
    return false;
  }
  std::map<std::string, YAML::Mark> seen;
  for (const auto& kv : map) {
    const YAML::Node& key = kv.first;
    if (!key.IsScalar()) {
      error(key.Mark(), "keys " + where(path) + " must be words, not " + describe(key));
      continue;
    }
    auto [first, fresh] = seen.emplace(key.Scalar(), key.Mark());
    if (!fresh) {
      error(key.Mark(), "duplicate key '" + key.Scalar() + "' " + where(path) + " (first at line " +
                            std::to_string(first->second.line + 1) + ")");
      continue;
    }
    handle({key.Scalar(), kv.second, key.Mark(), path.empty() ? key.Scalar() : path + "." + key.Scalar()});
  }
  return true;
}

bool yaml_reader::each_known_entry(const YAML::Node& map, const YAML::Mark& at, const std::string& path,
                                   std::span<const std::string_view> known, const entry_handler& handle) {
  return each_entry(map, at, path, [&](const yaml_entry& e) {
    if (std::find(known.begin(), known.end(), e.key) != known.end()) {
      handle(e);
      return;
    }
    std::string hint = belongs(e.key);
    error(e.key_mark, "unknown key '" + e.key + "' " + where(path) + " (" +
                          (hint.empty() ? "expected " + one_of(known) : hint) + ")");
  });
}

std::optional<std::string> yaml_reader::string(const yaml_entry& e) {
  if (e.value.IsNull())
    return std::string();
  if (!e.value.IsScalar()) {
    error(e.at(), e.path + " must be a string, not " + describe(e.value));
    return std::nullopt;
  }
  return e.value.Scalar();
}

std::optional<std::string> yaml_reader::non_empty_string(const yaml_entry& e) {
  auto text = string(e);
  if (text && text->empty()) {
    error(e.at(), e.path + " must not be empty");
    return std::nullopt;
  }
  return text;
}

std::optional<bool> yaml_reader::boolean(const yaml_entry& e) {
  bool value = false;
  // A quoted "false" is a string, and Patroni (Python) would take any
  // non-empty string as true: refuse the ambiguity.
  if (e.value.IsScalar() && e.value.Tag() != "!" && YAML::convert<bool>::decode(e.value, value))
    return value;
  error(e.at(), e.path + ": " + describe(e.value) + " is not a boolean (use true or false, without quotes)");
  return std::nullopt;
}

std::optional<std::uint16_t> yaml_reader::port(const yaml_entry& e) {
  if (e.value.IsScalar())
    if (auto p = parse_port(e.value.Scalar()))
      return p;
  error(e.at(), e.path + ": " + describe(e.value) + " is not a port number (1 to 65535)");
  return std::nullopt;
}

std::optional<int> yaml_reader::count(const yaml_entry& e, int max) {
  if (e.value.IsScalar()) {
    const auto& text = e.value.Scalar();
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && end == text.data() + text.size() && value >= 0 && value <= max)
      return value;
  }
  error(e.at(), e.path + ": " + describe(e.value) + " is not a whole number from 0 to " + std::to_string(max));
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> yaml_reader::duration(const yaml_entry& e, zero_duration zero) {
  auto text = string(e);
  if (!text)
    return std::nullopt;
  parsed_duration d = parse_duration(*text, zero);
  if (!d.value)
    error(e.at(), e.path + ": " + d.error);
  return d.value;
}

} // namespace slotd::config
