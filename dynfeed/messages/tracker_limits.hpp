#pragma once

#include "dynfeed/messages/limits.hpp"

#include <cstdint>

namespace dynfeed::msg::tracker {

/// What the decoder accepts. Every maximum is checked before the data it bounds is copied.
struct limits {
  uint64_t size_max = dynfeed::datagram_size_max;
  /// dynfeed writes one segment; other writers may split a packet a little.
  uint64_t segment_count_max = 4;
  /// The schema needs 3 (packet, reply, peer list).
  uint32_t nesting_depth_max = 8;
  /// Peers in one lookup reply: 512 take 4 KiB, well inside a datagram.
  uint64_t peers_max = 512;
  uint64_t token_size_max = 32;
  /// Error messages, which are for logs only.
  uint64_t text_size_max = 256;
};

} // namespace dynfeed::msg::tracker
