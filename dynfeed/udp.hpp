#pragma once

/// UDP sockets (IPv4) for the node's discovery (discovery_config::datagrams).

#include <memory>

namespace dynfeed {

class datagram_transport;

struct udp_options {
  /// The kernel's receive and send buffers (SO_RCVBUF, SO_SNDBUF) in bytes; 0: its default.
  int receive_buffer_size = 0;
  int send_buffer_size = 0;
};

/// Opens UDP sockets with `options`: what discovery_config::datagrams takes.
std::shared_ptr<datagram_transport> make_udp_transport(const udp_options& options = {});

} // namespace dynfeed
