#pragma once

/// DHT datagrams: dht_rpc (dht_messages.hpp) <-> bytes.
///
/// A datagram is exactly one Cap'n Proto message (schema: messages/dht.capnp, root `Rpc`) in
/// the standard unpacked framing; encode_rpc writes one segment of exactly the computed size.
/// Decoding is total: any bytes give an rpc or a msg_errc error, never an exception or a crash,
/// and every size is bounded by dht_limits before anything is copied. Semantic limits (a salt
/// over 64 bytes, a value over 1000 bytes) are not the codec's: such puts decode, so that the
/// responder can refuse them with their BEP 44 code.

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/base/expected.hpp"
#include "dynfeed/messages/codec.hpp"
#include "dynfeed/messages/dht_limits.hpp"
#include "dynfeed/messages/dht_messages.hpp"
#include "dynfeed/messages/limits.hpp"

#include <cstddef>
#include <cstdint>

namespace dynfeed::msg {

/// The exact size of encode_rpc(rpc), without encoding it.
size_t encoded_rpc_size(const dht_rpc& rpc);

/// Encodes `rpc` as one datagram. Requires every list and blob to stay within Cap'n Proto's
/// limits (2^29 elements); the caller keeps datagrams within datagram_size_max.
bytes encode_rpc(const dht_rpc& rpc);

/// Decodes one datagram, checking it against `limits`. Works at any alignment of `datagram`.
expected<dht_rpc> decode_rpc(byte_span datagram, const dht_limits& limits = {});

} // namespace dynfeed::msg
