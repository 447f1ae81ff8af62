#pragma once

/// How a node finds the peers of its swarms without being told addresses: a DHT node or a
/// tracker client on a UDP socket of its own (docs/discovery.md). Sent to the node with
/// `discover`; make_udp_transport() (<dynfeed/udp.hpp>) opens the socket, and
/// dht_settings(local, bootstrap) gives the DHT's settings as the command line uses them.

#include <dynfeed/base/endpoint.hpp>
#include <dynfeed/discovery/dht_config.hpp>
#include <dynfeed/discovery/dht_settings.hpp>
#include <dynfeed/discovery/tracker_config.hpp>

#include <caf/allowed_unsafe_message_type.hpp>

#include <cstdint>
#include <memory>

namespace dynfeed {

class datagram_transport;

struct discovery_config {
  enum class backend : uint8_t { dht, tracker };
  backend kind = backend::dht;
  /// Opens the socket: make_udp_transport() for UDP.
  std::shared_ptr<datagram_transport> datagrams;
  /// Where the socket binds (ip 0: every interface; port 0: any). Announces carry the
  /// address datagrams leave from, so it should be the interface the node listens on.
  endpoint local;
  /// The DHT's settings; `dht.bootstrap` lists the nodes to join through.
  dht_config dht;
  /// The tracker client's settings; `tracker.trackers` lists the trackers (at least one).
  tracker_client_config tracker;
};

} // namespace dynfeed

// Holds a transport: only ever sent within one process.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dynfeed::discovery_config)
