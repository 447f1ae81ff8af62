#pragma once

/// What a peer component sees of its connection: an ordered, authenticated frame pipe to one
/// remote node. Over TCP it is the Noise channel (net/); in the simulator, the simulated network.

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/messages/messages.hpp"
#include "dynfeed/component/component.hpp"

#include <string>

namespace dynfeed {

struct node_key_tag {};
/// A node's identity: its static public key from the encrypted handshake. (Not the DHT's
/// node_id, krpc/messages.hpp: a point of Mainline's 160-bit key space.)
using node_key = fixed_bytes<32, node_key_tag>;

class connection {
public:
  virtual ~connection() = default;
  /// Queues a frame for the remote; frames arrive in order or not at all.
  virtual void transmit(bytes frame) = 0;
  /// Ends the connection once the frames already transmitted are out.
  virtual void close(msg::disconnect_reason why) = 0;
  virtual const node_key& remote() const = 0;
  /// The handshake hash, equal on both ends; channel capabilities are bound to it.
  virtual byte_span handshake_hash() const = 0;
  /// True on the side that opened the connection.
  virtual bool initiator() const = 0;
};

/// A component that owns one connection (the peer).
class connected_component : public component {
public:
  /// A frame from the remote.
  virtual void on_remote(context& ctx, byte_span frame) = 0;
  /// The connection ended (either side, or the transport failed).
  virtual void on_disconnect(context& ctx, msg::disconnect_reason why) = 0;
};

} // namespace dynfeed
