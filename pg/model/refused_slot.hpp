#pragma once
// A slot left out of a copy, and why (checked before any stop: the server
// keeps running for it).
#include <string>
#include <vector>

namespace slotd::model {

struct refused_slot {
  std::string slot;
  std::string why;
  friend bool operator==(const refused_slot&, const refused_slot&) = default;
};

// "slot: why", for logs and reports.
inline std::string to_string(const refused_slot& r) { return r.slot + ": " + r.why; }

// Each as "slot: why", joined with "; ".
inline std::string joined(const std::vector<refused_slot>& refused) {
  std::string out;
  for (auto& r : refused)
    out += (out.empty() ? "" : "; ") + to_string(r);
  return out;
}

} // namespace slotd::model
