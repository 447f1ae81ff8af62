#pragma once

/// A feed's signed tree and the pure half of appending to it.

#include "dynfeed/base/expected.hpp"
#include "dynfeed/base/helper_thread.hpp"
#include "dynfeed/crypto/crypto.hpp"
#include "dynfeed/feed/append_limits.hpp"
#include "dynfeed/feed/merkle.hpp"

#include <cstdint>
#include <vector>

namespace dynfeed {

/// The writer-signed state of a feed: the Merkle roots at `length`, the fork counter, and the
/// writer's signature over both. Everything else a feed holds is verified against it.
struct signed_tree {
  uint64_t fork = 0;
  uint64_t length = 0;
  std::vector<tree_node> roots;
  signature sig; ///< all zero for the empty tree of fork 0, which nobody signs

  uint64_t byte_length() const noexcept;
  /// The tree hash, which is also the feed's ID at this length.
  hash256 hash() const noexcept { return merkle::tree_hash(roots); }
  merkle::signable_bytes signable() const noexcept {
    return merkle::signable(hash(), length, fork);
  }
  /// True if the roots are the canonical ones for `length`.
  bool shape_valid() const;
  /// True if the shape is valid and `sig` verifies under `key`. Only the empty tree of fork 0
  /// needs no signature: a truncation to 0 is signed, or anyone could claim a newer fork.
  bool verify(const public_key& key) const;

  friend bool operator==(const signed_tree& a, const signed_tree& b) noexcept {
    return a.fork == b.fork && a.length == b.length && a.roots == b.roots && a.sig == b.sig;
  }
};

/// Appends `node` as the rightmost root and merges the last two roots while they are siblings
/// (Hypercore's appendRoot). Every node created is pushed to `created` when it is not null.
void append_root(std::vector<tree_node>& roots, const tree_node& node,
                 std::vector<tree_node>* created);

/// An append prepared against a base length: the new nodes and the tree after it.
/// Nothing changes until the store has committed it and the feed applies it.
struct append_batch {
  uint64_t base_length = 0;
  std::vector<tree_node> nodes; ///< new leaves and parents, in creation order
  signed_tree tree;             ///< the tree after the append, signed by sign_batch()
};

/// Checks `blocks` against `limits` and computes the tree that appending them to `base` gives.
/// With a helper thread, large batches hash their leaves on two cores.
expected<append_batch> prepare_append(const signed_tree& base, const std::vector<byte_span>& blocks,
                                      const append_limits& limits,
                                      helper_thread* helper = nullptr);

/// Signs the batch's tree with the writer's secret key: one signature per append batch.
void sign_batch(append_batch& batch, const secret_key& sk);

} // namespace dynfeed
