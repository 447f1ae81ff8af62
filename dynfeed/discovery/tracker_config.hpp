#pragma once

/// The tracker client's settings (discovery/tracker.hpp), apart from the client itself.

#include "dynfeed/base/endpoint.hpp"
#include "dynfeed/component/types.hpp"
#include "dynfeed/messages/tracker_limits.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dynfeed {

struct tracker_client_config {
  std::vector<endpoint> trackers;
  /// Where this node accepts connections (its TCP port): what announces carry.
  uint16_t announce_port = 0;
  /// Each followed topic is looked up at every tracker this often, and announced this often
  /// (the servers' record_ttl should be a few announce intervals).
  clock_time lookup_interval = std::chrono::minutes{2};
  clock_time announce_interval = std::chrono::minutes{5};
  /// A lookup that found nobody comes back sooner: after this, doubling with each such round
  /// up to lookup_interval, so that a reader that came before the writer's announce does not
  /// wait a whole interval.
  clock_time empty_lookup_retry = std::chrono::seconds{1};
  /// Rounds start up to this fraction of their interval later, at random, so that nodes that
  /// started together do not ask in lockstep.
  double jitter = 0.1;
  /// A request is sent again after this, doubled each time, up to attempts_max sends.
  clock_time request_timeout = std::chrono::seconds{2};
  /// A requester that asks again (find_peers for a topic it follows: its peers all failed)
  /// gets a new round at once, if the last one began at least this long ago.
  clock_time refresh_min = std::chrono::seconds{5};
  uint32_t attempts_max = 4;
  size_t topics_max = 1024;
  size_t requesters_per_topic_max = 16;
  size_t pending_max = 4096;
  /// Topics counted one by one in stats().by_topic.
  size_t stats_topics_max = 4096;
  msg::tracker::limits limits;
};

} // namespace dynfeed
