#pragma once

/// The node's side of its transports (the public API is <dynfeed/node.hpp>): what a transport
/// such as TCP (dynfeed/tcp/tcp.hpp) implements.

#include "dynfeed/crypto/noise.hpp"
#include "dynfeed/node.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <string>

namespace dynfeed {

/// How a node reaches other nodes by address ("host:port"). Results come back to the node as
/// (connected, ...) or (disconnected, ...) messages.
class transport {
public:
  virtual ~transport() = default;
  virtual caf::expected<uint16_t> listen(caf::actor_system& sys, caf::actor node,
                                         const noise_keypair& identity, const std::string& host,
                                         uint16_t port) = 0;
  /// Dials `address`; the node hears (connected, transport, remote, handshake_hash, initiator,
  /// address) -> peer actor once the handshake completes, or (disconnected, address, reason).
  virtual void connect(caf::actor_system& sys, caf::actor node, const noise_keypair& identity,
                       const std::string& address) = 0;
  /// Stops accepting: the node is shutting down. Open connections end with their peers.
  virtual void shutdown() = 0;
};

} // namespace dynfeed
