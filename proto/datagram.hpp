#pragma once

/// Datagrams: what discovery (the DHT, the tracker) runs on. Unreliable, unordered and
/// unauthenticated, like UDP, which carries them in a node; the simulator carries them over its
/// network model, with loss, duplication and reordering.

#include "base/endpoint.hpp"
#include "proto/component.hpp"

namespace dynfeed {

/// The largest datagram dynfeed sends or accepts: what fits in one UDP packet on most paths
/// without fragmentation is smaller (about 1400 bytes), and the DHT keeps its messages there;
/// signed values with many signatures may need more.
inline constexpr size_t datagram_size_max = 8192;

/// Where a datagram component sends from. The host (a node, the simulator) owns it.
class datagram_socket {
public:
  virtual ~datagram_socket() = default;
  /// Sends one datagram (at most datagram_size_max bytes); it may be lost, duplicated or
  /// reordered, and nobody says so.
  virtual void send_to(const endpoint& to, bytes datagram) = 0;
  /// The address this socket is bound to.
  virtual endpoint local() const = 0;
};

/// A component that owns a datagram socket (a DHT node, a tracker or its client).
class datagram_component : public component {
public:
  /// A datagram from `from` (the sender's address as the network saw it).
  virtual void on_datagram(context& ctx, const endpoint& from, byte_span datagram) = 0;
};

} // namespace dynfeed
