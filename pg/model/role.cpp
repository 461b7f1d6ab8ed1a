#include "pg/model/role.hpp"

namespace slotd::model {

std::string_view to_string(node_role r) {
  switch (r) {
  case node_role::primary: return "primary";
  case node_role::promoting: return "promoting";
  case node_role::replica: return "replica";
  case node_role::role_mismatch: return "role_mismatch";
  }
  return "unknown";
}

} // namespace slotd::model
