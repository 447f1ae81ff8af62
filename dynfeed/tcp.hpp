#pragma once

/// The node's TCP transport: connections encrypted with Noise XX, on CAF's I/O layer (load
/// caf::io::middleman in the actor system's config).

#include <caf/timespan.hpp>

#include <chrono>
#include <cstddef>
#include <memory>

namespace dynfeed {

class transport;

struct tcp_options {
  size_t frame_size_max = 8u << 20;   ///< the largest frame either way
  /// Bytes handed to the socket but not yet written before the broker stops taking more from
  /// the channel; a remote that does not read eventually fills the channel and is dropped.
  size_t socket_buffer_max = 4u << 20;
  caf::timespan handshake_timeout = std::chrono::seconds{10};
};

/// For node_config::network: accepts where `listen` says (port 0 picks one) and dials
/// "host:port" peers in the background.
std::shared_ptr<transport> make_tcp_transport(const tcp_options& options = {});

} // namespace dynfeed
