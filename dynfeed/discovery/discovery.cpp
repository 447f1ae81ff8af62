#include "dynfeed/discovery/discovery.hpp"

#include <algorithm>

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

void discovery_stats::add(const discovery_stats& other) {
  for (size_t i = 0; i < discovery_op_count; ++i) {
    op_counters& a = ops[i];
    const op_counters& b = other.ops[i];
    a.queries_sent += b.queries_sent;
    a.responses_received += b.responses_received;
    a.timeouts += b.timeouts;
    a.errors_received += b.errors_received;
    a.queries_received += b.queries_received;
    a.responses_sent += b.responses_sent;
    a.errors_sent += b.errors_sent;
  }
  refused.malformed += other.refused.malformed;
  refused.unsolicited += other.refused.unsolicited;
  refused.rate_limited += other.refused.rate_limited;
  refused.bad_token += other.refused.bad_token;
  refused.storage_full += other.refused.storage_full;
  refused.bad_value += other.refused.bad_value;
  datagrams_sent += other.datagrams_sent;
  datagrams_received += other.datagrams_received;
  bytes_sent += other.bytes_sent;
  bytes_received += other.bytes_received;
  lookups += other.lookups;
  lookup_hops += other.lookup_hops;
  lookup_hops_max = std::max(lookup_hops_max, other.lookup_hops_max);
  records_held += other.records_held;
}

} // namespace dynfeed
