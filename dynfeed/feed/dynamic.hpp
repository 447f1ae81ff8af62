#pragma once

/// The dynamic feed protocol's pure parts: how a writer announces each new feed ID through a
/// signed value feed, and which swarm topic each ID has.
///
/// - stable: one swarm per writer key (the discovery key); new lengths are announced inside it
///   (sync messages), as Hypercore does.
/// - rotating: after each append the writer publishes (length, feed ID) as the next signed
///   value (seq = length) and moves to the swarm of the new ID; a reader that learns it joins
///   that swarm, downloads what it misses (an upgrade whose tree hash must equal the ID) and
///   leaves its old swarm.
/// - rotating_roots: the value carries the signed tree itself (length, fork, roots, signature),
///   so a reader verifies the upgrade before it connects to anyone and only fetches blocks.

#include "dynfeed/base/expected.hpp"
#include "dynfeed/feed/feed_mode.hpp"
#include "dynfeed/feed/signed_value.hpp"
#include "dynfeed/feed/tree.hpp"

#include <optional>
#include <string_view>

namespace dynfeed {

/// The value feed on which the writer of `feed_key` announces its feed IDs.
value_feed_def id_announcements(const public_key& feed_key);

/// Limits for announcement values: a signed tree of a feed below 2^62 blocks has at most 62
/// roots, 40 bytes each here, plus length, fork and signature.
value_limits announcement_limits();

/// The swarm topic of one feed ID (the tree hash at one length).
hash256 id_topic(const hash256& feed_id);

/// A rotating announcement: the feed's new length and its ID there.
struct id_announcement {
  uint64_t length = 0;
  hash256 id;
};

/// Encodes what the writer of `tree` announces in `mode` (rotating or rotating_roots).
bytes encode_announcement(feed_mode mode, const signed_tree& tree);

/// Decodes a rotating announcement (40 bytes: u64le length, then the ID).
expected<id_announcement> decode_id_announcement(byte_span value);

/// Decodes a rotating_roots announcement: u64le length, u64le fork, the 64-byte signature, then
/// (u64le size, hash) for each root of the canonical roots of that length. Checks the shape;
/// the caller checks the signature against the writer's key.
expected<signed_tree> decode_tree_announcement(byte_span value);

} // namespace dynfeed
