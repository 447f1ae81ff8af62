#pragma once

/// Where things live in Mainline's 160-bit key space.

#include "dynfeed/krpc/messages.hpp"

namespace dynfeed::krpc {

/// SHA-1 (FIPS 180-4) of `data`: Mainline's hash for targets.
node_id sha1(byte_span data);

/// BEP 44: a mutable item's target, SHA-1(k || salt) (salt empty: SHA-1(k)).
node_id mutable_target(const public_key& k, byte_span salt);

/// BEP 44: an immutable item's target, SHA-1 of its bencoded value.
node_id immutable_target(byte_span v);

/// A dynfeed swarm's info-hash: the first 20 bytes of its topic (a feed's discovery key, a value
/// feed's topic). Topics are BLAKE2b digests, so any 20 of their bytes are as uniform as an
/// info-hash; a Mainline client finds a dynfeed swarm's peers with get_peers on it.
node_id info_hash(const swarm_topic& topic) noexcept;
node_id info_hash(const hash256& topic) noexcept;

} // namespace dynfeed::krpc
