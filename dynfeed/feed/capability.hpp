#pragma once

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/crypto/crypto.hpp"

namespace dynfeed {

/// Hypercore's replication capability: BLAKE2b-256 keyed with the connection's handshake hash
/// over REPLICATE_INITIATOR (or _RESPONDER) || feed key. Opening a channel with it proves the
/// opener knows the feed's key, which the discovery key alone does not reveal, and binds the
/// proof to this one connection so it cannot be replayed elsewhere.
hash256 replication_capability(bool initiator, const public_key& feed_key,
                               byte_span handshake_hash);

} // namespace dynfeed
