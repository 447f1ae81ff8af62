#pragma once

/// Every message dynfeed components exchange, as plain structs: peer to peer over a connection
/// (the wire protocol) and component to component inside a node. The codec (codec.hpp) turns
/// them into Cap'n Proto frames and back; nothing outside messages/ sees capnp.
///
/// Conventions: `channel` numbers a feed opened on one connection (chosen by the side that opens
/// it); `id` numbers a request, unique per channel and side while it is outstanding.

#include "base/bytes.hpp"
#include "crypto/crypto.hpp"
#include "feed/proof.hpp"

#include <cstdint>
#include <string>
#include <variant>

namespace dynfeed::msg {

/// The wire protocol version this build speaks; carried in `hello`.
inline constexpr uint16_t protocol_version = 1;

// ---- wire: peer to peer ------------------------------------------------------------------

/// First frame each side sends after the encrypted handshake.
struct hello {
  uint16_t version = protocol_version;
  uint32_t frame_size_max = 0; ///< the largest frame the sender accepts
  std::string user_agent;      ///< for logs only
};

/// Why a side ends the connection; the last frame it sends.
struct bye {
  uint16_t code = 0; ///< a disconnect_reason
  std::string reason;
};

/// Opens a channel for the feed whose discovery key is given. The capability proves the sender
/// knows the feed's public key without revealing it (Hypercore's replication capability).
struct open_channel {
  uint32_t channel = 0;
  hash256 discovery_key;
  hash256 capability;
};

struct close_channel {
  uint32_t channel = 0;
};

/// "I hold the writer's signed tree at this length": sent on open and whenever it grows.
struct sync {
  uint32_t channel = 0;
  uint64_t fork = 0;
  uint64_t length = 0;
};

/// "I hold (or, with drop, no longer hold) blocks [start, start + length)".
struct range {
  uint32_t channel = 0;
  uint64_t start = 0;
  uint64_t length = 0;
  bool drop = false;
};

struct request {
  uint32_t channel = 0;
  uint64_t id = 0;
  proof_request body;
};

struct data {
  uint32_t channel = 0;
  uint64_t id = 0;
  proof body;
};

/// The responder cannot answer request `id` (it lacks the blocks, or the request is invalid).
struct no_data {
  uint32_t channel = 0;
  uint64_t id = 0;
  uint16_t reason = 0;
};

struct cancel {
  uint32_t channel = 0;
  uint64_t id = 0;
};

using wire_message =
  std::variant<hello, bye, open_channel, close_channel, sync, range, request, data, no_data, cancel>;

} // namespace dynfeed::msg
