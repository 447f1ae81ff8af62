#pragma once

/// The settings of a node's peers and feed services, apart from the components.

#include "dynfeed/component/types.hpp"
#include "dynfeed/feed/append_limits.hpp"

#include <cstdint>
#include <string>

namespace dynfeed {

struct peer_config {
  component_id node = no_component; ///< answers find_feed
  uint32_t channels_max = 256;      ///< channels the remote may open on this connection
  uint32_t frame_size_max = 0;      ///< announced in hello
  /// Announced in hello: the port this node accepts connections on (0: none, e.g. behind NAT).
  /// A full node refers diallers to its inbound peers at that port (node_core_config::referrals).
  uint16_t listen_port = 0;
  clock_time hello_timeout = std::chrono::seconds{10};
  std::string user_agent = "dynfeed";
};

struct feed_service_config {
  uint32_t requests_in_flight_max = 16; ///< per peer
  uint64_t chunk_blocks_max = 64;       ///< blocks per request, at most
  uint64_t chunk_bytes_target = uint64_t{1} << 20; ///< aim for about this much per request
  clock_time request_timeout = std::chrono::seconds{10};
  uint32_t timeouts_max = 3;            ///< timed-out requests before a peer is dropped
  uint64_t frame_size_max = append_limits::default_block_size_max + (uint64_t{1} << 20);
  /// A reader asks each peer of its fork for the peer's whole signed tree once (one small
  /// proof: the roots and the nodes up to its length), so that a writer who signed two
  /// histories is caught even where no download would cross them (two seeders of one length).
  /// The simulator turns it off unless a scenario asks for it, which keeps the digests of
  /// scenarios written before it.
  bool compare_trees = true;
};

} // namespace dynfeed
