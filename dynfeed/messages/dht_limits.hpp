#pragma once

#include "dynfeed/messages/limits.hpp"

#include <cstdint>

namespace dynfeed::msg {

/// What decode_rpc accepts. Every maximum is checked before the data it bounds is copied.
struct dht_limits {
  uint64_t datagram_size_max = dynfeed::datagram_size_max;
  /// dynfeed writes one segment; other writers may split a message a little.
  uint64_t segment_count_max = 8;
  /// The schema needs 5 levels (rpc, body, value, signature list, signature).
  uint32_t nesting_depth_max = 8;
  /// Nodes in one response: k is 20 by default, and a node accepts a little more.
  uint64_t nodes_max = 32;
  /// Peers in one response (a responder sends at most dht_config::peers_per_response_max).
  uint64_t peers_max = 64;
  /// Tokens are 16 bytes here; other implementations use up to 20 or 32.
  uint64_t token_size_max = 32;
  /// Error messages, which are for logs only.
  uint64_t text_size_max = 256;
  /// Signers and signatures of a value (the value rules allow 32; more is theirs to refuse as
  /// malformed, so the codec only bounds the work).
  uint64_t signers_max = 64;
  uint64_t signatures_max = 64;
  /// Salts: BEP 44 allows 64 bytes, refused above that with code 207 by the value rules.
  uint64_t salt_size_max = 256;
};

} // namespace dynfeed::msg
