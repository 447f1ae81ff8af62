#pragma once

/// A feed actor: what the node's create_feed, open_feed and clone_feed return.

#include <dynfeed/atoms.hpp>
#include <dynfeed/types.hpp>

#include <caf/actor.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <vector>

namespace dynfeed {

/// A feed's state, as `info` returns it.
struct feed_info {
  public_key key;
  swarm_topic discovery_key; ///< the topic of the feed's swarm in stable mode
  hash256 id; ///< the tree hash: changes on every append
  uint64_t length = 0;
  uint64_t byte_length = 0;
  uint64_t fork = 0;
  uint64_t held = 0; ///< blocks stored locally
  uint64_t peers = 0;
  bool writable = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, feed_info& x) {
  return f(caf::meta::type_name("feed_info"), x.key, x.discovery_key, x.id, x.length,
           x.byte_length, x.fork, x.held, x.peers, x.writable);
}

/// "No end": download everything the first peer has (or, with live, follow forever).
inline constexpr uint64_t download_to_end = ~uint64_t{0};

/// A feed.
/// - (append, std::vector<bytes>) -> uint64_t: appends blocks as one signed batch (a writer
///   only); returns the new length
/// - (truncate, uint64_t length) -> uint64_t: rewinds the feed to `length` blocks (a writer
///   only), bumping the fork and signing the new tree; returns the new fork
/// - (get, uint64_t index) -> bytes: a block the feed holds, verified
/// - (info) -> feed_info
/// - (download, uint64_t first, uint64_t end, bool live): fetches [first, end) from peers
///   (end download_to_end: everything the first peer has; live: keep following)
/// - (subscribe, caf::actor): the actor receives (length, uint64_t length), (blocks, uint64_t
///   first, uint64_t count) for blocks held from now on, (done) when a download finishes,
///   (peers, uint64_t count), and (equivocation, std::string proof) when the writer is found to
///   have signed two histories: the feed is then no longer followed, and `proof` is the JSON
///   text of the proof (dynfeed/core/equivocation_file.hpp; `dynfeed verify-equivocation`
///   checks it). A length may shrink when the writer truncates (a newer fork).
using feed_actor = caf::typed_actor<
  caf::replies_to<atoms::append, std::vector<bytes>>::with<uint64_t>,
  caf::replies_to<atoms::truncate, uint64_t>::with<uint64_t>,
  caf::replies_to<atoms::get, uint64_t>::with<bytes>,
  caf::replies_to<atoms::info>::with<feed_info>,
  caf::reacts_to<atoms::download, uint64_t, uint64_t, bool>,
  caf::reacts_to<atoms::subscribe, caf::actor>>;

} // namespace dynfeed
