#include "proto/discovery.hpp"

namespace dynfeed {

std::string_view to_string(discovery_op op) noexcept {
  switch (op) {
    case discovery_op::ping:
      return "ping";
    case discovery_op::find_node:
      return "find_node";
    case discovery_op::get_peers:
      return "get_peers";
    case discovery_op::announce:
      return "announce";
    case discovery_op::get_value:
      return "get_value";
    case discovery_op::put_value:
      return "put_value";
    case discovery_op::tracker_lookup:
      return "tracker_lookup";
    case discovery_op::tracker_announce:
      return "tracker_announce";
  }
  return "unknown";
}

} // namespace dynfeed
