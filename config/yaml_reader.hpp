#pragma once
// Reading a YAML (or JSON) document into config values while collecting every
// problem with its position. Internal to config/: slotd.yaml (load.cpp) and
// PUT /cluster bodies (cluster_update.cpp) share it.
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/diagnostic.hpp"
#include "config/duration.hpp"
#include "config/keys.hpp"

namespace slotd::config {

// One key/value pair of a map being read.
struct yaml_entry {
  std::string key;
  YAML::Node value;
  YAML::Mark key_mark;
  std::string path; // dotted, for messages: "postgresql.conninfo", "members.node1.port"

  // An implicit null (`archiver:`) carries the position of the next token,
  // which would point at the wrong line: report such values at their key.
  YAML::Mark at() const { return value.IsNull() ? key_mark : value.Mark(); }
};

class yaml_reader {
public:
  // top_phrase names the document's root in messages ("at the top level");
  // homes are where keys live, for "it belongs ..." hints.
  yaml_reader(std::string file, std::string top_phrase, std::span<const keys::home> homes);

  void error(const YAML::Mark& at, std::string message);
  void warning(const YAML::Mark& at, std::string message);
  bool has_errors() const { return errors_ > 0; }
  std::vector<diagnostic> take_diagnostics() { return std::move(diagnostics_); }

  // Exactly one document; a syntax error or a second document is reported
  // and gives nullopt. An empty text gives a null node.
  std::optional<YAML::Node> parse_document(const std::string& text);

  using entry_handler = std::function<void(const yaml_entry&)>;

  // Every entry of `map` (null reads as empty). Reports a non-map, non-scalar
  // and duplicate keys; false when `map` is neither a map nor null.
  bool each_entry(const YAML::Node& map, const YAML::Mark& at, const std::string& path,
                  const entry_handler& handle);
  // As each_entry, but only keys in `known` reach `handle`; the others are
  // reported, with where they belong when that is known.
  bool each_known_entry(const YAML::Node& map, const YAML::Mark& at, const std::string& path,
                        std::span<const std::string_view> known, const entry_handler& handle);
  bool each_known_entry(const yaml_entry& e, std::span<const std::string_view> known, const entry_handler& handle) {
    return each_known_entry(e.value, e.at(), e.path, known, handle);
  }

  // Scalar readers: nullopt after reporting what is wrong.
  std::optional<std::string> string(const yaml_entry& e); // null reads as ""
  std::optional<std::string> non_empty_string(const yaml_entry& e);
  std::optional<bool> boolean(const yaml_entry& e);
  std::optional<std::uint16_t> port(const yaml_entry& e);
  std::optional<int> count(const yaml_entry& e, int max); // a whole number from 0 to max
  std::optional<std::chrono::milliseconds> duration(const yaml_entry& e, zero_duration zero);
  // One of a fixed set of values, written as their to_string: e.g.
  // choice(e, {start_role::automatic, start_role::wait}) takes auto or wait.
  template <class E>
  std::optional<E> choice(const yaml_entry& e, std::initializer_list<E> values) {
    auto text = string(e);
    if (!text)
      return std::nullopt;
    std::vector<std::string_view> words;
    for (E value : values) {
      if (*text == to_string(value))
        return value;
      words.push_back(to_string(value));
    }
    error(e.at(), e.path + ": '" + *text + "' is not one of " + one_of(words));
    return std::nullopt;
  }

  // "a, b or c"
  static std::string one_of(std::span<const std::string_view> words);

private:
  std::string where(const std::string& path) const;
  std::string belongs(std::string_view key) const;

  std::string file_;
  std::string top_phrase_;
  std::span<const keys::home> homes_;
  std::vector<diagnostic> diagnostics_;
  int errors_ = 0;
};

// "a map", "a list", "'text'": what a node is, for "must be X, not Y".
std::string describe(const YAML::Node& n);

// 1 to 65535, digits only.
std::optional<std::uint16_t> parse_port(std::string_view text);

} // namespace slotd::config
