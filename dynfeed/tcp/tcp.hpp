#pragma once

/// TCP transport on CAF's I/O layer. Every connection is one broker that runs the Noise XX
/// secure channel (net/secure_channel.hpp) and, once the handshake is done, asks the node for
/// the peer that speaks through it; frames then flow peer <-> broker <-> socket.

#include "dynfeed/actors/node.hpp"
#include "dynfeed/crypto/noise.hpp"
#include "dynfeed/component/component.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <string>

namespace dynfeed {

struct tcp_options {
  size_t frame_size_max = 8u << 20;   ///< the largest frame either way
  /// Bytes handed to the socket but not yet written before the broker stops taking more from
  /// the channel; a remote that does not read eventually fills the channel and is dropped.
  size_t socket_buffer_max = 4u << 20;
  caf::timespan handshake_timeout = std::chrono::seconds{10};
};

/// Splits "host:port"; false if it is not one.
bool parse_address(const std::string& address, std::string& host, uint16_t& port);

/// The node's TCP transport: accepts on host:port (port 0 picks one) and dials "host:port" in
/// the background; the node hears (connected, ...) once a handshake completes, or
/// (disconnected, address, reason) if a dial fails.
std::shared_ptr<transport> make_tcp_transport(const tcp_options& options = {});

} // namespace dynfeed
