#pragma once

/// Frames: the bytes that carry one message between peers.
///
/// A frame is exactly one Cap'n Proto message (schema: messages/wire.capnp, root `Frame`) in the
/// standard unpacked framing: a segment table (u32 segment count - 1, a u32 word count per
/// segment, padded to a whole 8-byte word), then the segments. encode() always writes one
/// segment, so a frame is 8 header bytes and the message; decode accepts up to
/// `segment_count_max` segments from other writers. The transport delimits frames: a frame must
/// end exactly where its last segment ends.
///
/// Decoding is total: any bytes give a message or an error value, never an exception or a crash,
/// and every size is bounded by codec_limits before anything is copied. This header includes no
/// Cap'n Proto header, so code that only handles messages stays light to compile.

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/base/error.hpp"
#include "dynfeed/base/expected.hpp"
#include "dynfeed/feed/proof.hpp"
#include "dynfeed/feed/tree.hpp"
#include "dynfeed/messages/errc.hpp"
#include "dynfeed/messages/messages.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dynfeed::msg {

/// What a decoder accepts. Every maximum is checked before the data it bounds is copied.
struct codec_limits {
  /// Room for the proof, the framing and the other fields of a data frame carrying one block of
  /// the largest size: a proof has at most 3 node lists of proof_nodes_max nodes, 56 bytes each.
  static constexpr uint64_t frame_overhead_size_max = uint64_t{64} << 10;
  /// Any single block fits in one frame with its proof.
  static constexpr uint64_t default_frame_size_max =
    append_limits::default_block_size_max + frame_overhead_size_max;

  uint64_t frame_size_max = default_frame_size_max;
  /// dynfeed writes one segment; other writers may split a message a little.
  uint64_t segment_count_max = 16;
  /// Cap'n Proto's read limit. Each frame is also limited to twice its own size in words (an
  /// honest frame reads about its size once), so pointers that share their target cannot make
  /// a small frame decode into a large message.
  uint64_t traversal_words_max = default_frame_size_max / 8;
  /// The deepest chain of pointers followed; the schema itself needs 6 (frame, message, proof,
  /// block, node list, hash).
  uint32_t nesting_depth_max = 16;
  /// Tree nodes in each node list of a proof: a block path is at most proof_depth_max (62)
  /// nodes, and an upgrade of a feed shorter than 2^32 blocks needs at most 64.
  uint64_t proof_nodes_max = 64;
  /// Blocks in one data frame: a chunk proof carries at most chunk_blocks_max.
  uint64_t values_max = chunk_blocks_max;
  uint64_t value_size_max = append_limits::default_block_size_max;
  /// User agents and bye reasons, which are for logs only.
  uint64_t text_size_max = 1024;
  /// A signed value's bytes (value feeds limit their own values further) and its signatures
  /// (M-of-N feeds have at most value_limits::signers_max signers).
  uint64_t signed_value_size_max = uint64_t{64} << 10;
  uint64_t value_signatures_max = 32;
  /// Addresses in one peers_found (a discovery component reports at most this many at once).
  uint64_t addresses_max = 256;
};

/// The exact size of encode(message), computed without encoding it: a sender can check a peer's
/// frame_size_max, or choose how many blocks to send, before building the frame.
size_t encoded_size(const wire_message& message);

/// True if `address` may travel as a referral (bye, peer_down): a canonical "a.b.c.d:port"
/// (no name, no leading zero), neither the address nor the port 0.
bool is_referral_address(std::string_view address);

/// Encodes `message` as one frame.
bytes encode(const wire_message& message);

/// Encodes `message` into `out`, replacing its contents: reusing one buffer, encoding allocates
/// nothing once the buffer has grown to the largest frame. The message is built in place, so
/// each value is copied exactly once. Requires every list and blob to be shorter than 2^29
/// elements and the frame to be below 4 GiB (Cap'n Proto's limits).
void encode(const wire_message& message, bytes& out);

/// Decodes one frame from a peer, checking it against `limits`. Works at any alignment of
/// `frame` (an unaligned frame is copied once; an aligned one is read in place). Local
/// messages are refused (local_only): a remote cannot speak for our own components.
expected<wire_message> decode_wire(byte_span frame, const codec_limits& limits = {});

/// Reads only what a peer needs to route a remote's frame: the channel it travels on, or
/// nullopt for the messages about the connection itself (hello, bye, opening and closing
/// channels). Refuses what decode_wire refuses at the root (framing, a local kind, an unknown
/// kind); the member's own fields are left for whoever decodes it.
expected<std::optional<uint32_t>> wire_channel(byte_span frame, const codec_limits& limits = {});

// ---- local messages: component to component inside one node -------------------------------

/// Anything a component may receive from another component of its node: a local message, or
/// a wire frame passed along (a peer forwarding what the remote sent, a feed service handing
/// a peer what to transmit).
using message = std::variant<wire_message, local_message>;

size_t encoded_size(const local_message& message);
bytes encode(const local_message& message);
void encode(const local_message& message, bytes& out);

/// Decodes a frame from another component: a wire frame or a local message.
expected<message> decode(byte_span frame, const codec_limits& limits = {});

/// True if `frame` holds a local message, reading only its kind (cheap, for routing frames
/// without decoding their contents).
expected<bool> is_local(byte_span frame, const codec_limits& limits = {});

} // namespace dynfeed::msg
