#pragma once

/// Datagrams: what discovery (the DHT, the tracker) runs on. Unreliable, unordered and
/// unauthenticated, like UDP, which carries them in a node; the simulator carries them over its
/// network model, with loss, duplication and reordering.

#include "dynfeed/base/endpoint.hpp"
#include "dynfeed/base/expected.hpp"
#include "dynfeed/component/component.hpp"
#include "dynfeed/messages/limits.hpp" // datagram_size_max

#include <functional>
#include <memory>

namespace dynfeed {

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

/// Opens datagram sockets for a node: UDP (make_udp_transport, <dynfeed/udp.hpp>), or whatever a
/// test provides.
class datagram_transport {
public:
  /// Called once per datagram received, on whatever thread the socket receives on.
  using receive_fn = std::function<void(const endpoint& from, bytes datagram)>;

  virtual ~datagram_transport() = default;
  /// A socket bound to `local` (ip 0: every interface; port 0: any), handing what it receives
  /// to `on_receive` until it is destroyed. An error says why it could not be opened.
  virtual expected<std::unique_ptr<datagram_socket>> open(const endpoint& local,
                                                          receive_fn on_receive) = 0;
};

/// A component that owns a datagram socket (a DHT node, a tracker or its client).
class datagram_component : public component {
public:
  /// A datagram from `from` (the sender's address as the network saw it).
  virtual void on_datagram(context& ctx, const endpoint& from, byte_span datagram) = 0;
};

} // namespace dynfeed
