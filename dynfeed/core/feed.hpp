#pragma once

/// A feed bound to its store: the writer's append path and the reader's verified download
/// path. Every change is staged, committed to the store as one atomic batch, and only then
/// applied in memory, so a failed write leaves both as they were.

#include "dynfeed/base/expected.hpp"
#include "dynfeed/core/feed_options.hpp"
#include "dynfeed/crypto/crypto.hpp"
#include "dynfeed/feed/bitfield.hpp"
#include "dynfeed/feed/equivocation.hpp"
#include "dynfeed/feed/proof.hpp"
#include "dynfeed/feed/tree.hpp"
#include "dynfeed/storage/store.hpp"

#include <memory>
#include <optional>
#include <vector>

namespace dynfeed {

/// What applying a verified proof changed.
struct apply_result {
  bool upgraded = false;               ///< the trusted tree grew
  uint64_t blocks_added = 0;           ///< blocks held now that were not before
  std::optional<hash256> target_hash;  ///< tree hash at the upgrade's requested length
};

class feed {
public:
  /// Creates a writable feed in an empty store.
  static expected<std::unique_ptr<feed>> create(feed_store& store, const keypair& kp,
                                                const feed_options& options = {});
  /// Creates a (sparse) reader of the feed `key` in an empty store.
  static expected<std::unique_ptr<feed>> create_reader(feed_store& store, const public_key& key,
                                                       const feed_options& options = {});
  /// Opens the feed in `store`, writable when `sk` is given. Checks that the stored signed tree
  /// verifies; a store that does not is store_errc::corrupt.
  static expected<std::unique_ptr<feed>> open(feed_store& store, const secret_key* sk,
                                              const feed_options& options = {});

  const public_key& key() const noexcept { return key_; }
  const hash256& discovery_key() const noexcept { return discovery_key_; }
  bool writable() const noexcept { return sk_.has_value(); }
  /// The writer's secret key, for signing on the feed's behalf (its ID announcements); null
  /// for a reader.
  const secret_key* writer_key() const noexcept { return sk_ ? &*sk_ : nullptr; }
  const signed_tree& tree() const noexcept { return tree_; }
  uint64_t length() const noexcept { return tree_.length; }
  uint64_t byte_length() const noexcept { return tree_.byte_length(); }
  uint64_t fork() const noexcept { return tree_.fork; }
  /// The feed ID: the tree hash of the current roots. It changes on every append.
  const hash256& id() const noexcept { return id_; }
  const bitfield& have() const noexcept { return have_; }
  bool has(uint64_t index) const noexcept { return have_.get(index); }
  const feed_options& options() const noexcept { return options_; }

  /// Appends `blocks` as one signed batch and returns the new length.
  expected<uint64_t> append(const std::vector<byte_span>& blocks);
  /// The stored bytes of block `index`.
  expected<bytes> get(uint64_t index);

  /// Rewinds a writable feed to `length` blocks: drops the blocks and tree nodes past it,
  /// increments the fork counter and signs the tree at `length`, all in one atomic write.
  /// Returns the new fork.
  expected<uint64_t> truncate(uint64_t length);
  /// How many leading blocks this feed shares with another tree of the same key: `theirs` are
  /// that tree's verified nodes at flat::full_roots(length), compared with this feed's own.
  /// A root this feed does not hold counts as a difference (the answer is a lower bound).
  expected<uint64_t> shared_length(const std::vector<tree_node>& theirs, uint64_t length);
  /// Moves a reader to `newer`, a tree of a higher fork whose signature and shape verify: keeps
  /// blocks [0, common), drops the rest with every tree node past it, and stores `nodes`
  /// (verified nodes of `newer`), in one atomic write.
  status adopt_fork(const signed_tree& newer, uint64_t common, const std::vector<tree_node>& nodes);

  /// Looks for a conflict between this feed's tree and `theirs`, a verified tree of the same
  /// key and fork whose verified nodes are in `their_nodes` (feed/equivocation.hpp).
  expected<std::optional<equivocation_proof>> find_equivocation(const signed_tree& theirs,
                                                                node_source& their_nodes);

  /// Answers a peer's request with a proof from this feed (writer or reader alike).
  expected<proof> build_proof(const proof_request& req);
  /// Number of sibling nodes a request for the chunk of `count` blocks at `index` must ask
  /// for: the levels between the chunk's root and the first node this feed already holds. Only
  /// for chunks inside the trusted tree.
  expected<uint64_t> missing_nodes(uint64_t index, uint64_t count = 1);
  /// Verifies a peer's proof and stores what it proves. A proof that does not verify changes
  /// nothing.
  expected<apply_result> apply(const proof& p);

  /// Takes a newer signed tree that arrived without a proof (a rotating-roots announcement):
  /// its shape and the writer's signature are checked, and its roots must agree with every
  /// node this feed already verified. Blocks are then verified against it as they arrive.
  /// Returns true if the tree was newer and is now the trusted one.
  expected<bool> adopt_tree(const signed_tree& tree);

  /// Re-verifies every stored block and tree node against the signed tree. The error names the
  /// first bad block.
  status verify_all();

private:
  feed(feed_store& store, const public_key& key, std::optional<secret_key> sk,
       const feed_options& options);
  static expected<std::unique_ptr<feed>> create_with(feed_store& store, const public_key& key,
                                                     std::optional<secret_key> sk,
                                                     const feed_options& options);
  status load();
  /// Commits `tree` as the trusted one, dropping everything past block `keep`.
  status replace_tree(signed_tree tree, uint64_t keep, std::vector<tree_node> nodes);
  void set_tree(signed_tree tree);

  feed_store& store_;
  public_key key_;
  hash256 discovery_key_;
  std::optional<secret_key> sk_;
  feed_options options_;
  signed_tree tree_;
  hash256 id_;
  bitfield have_;
  std::unique_ptr<helper_thread> helper_;
};

} // namespace dynfeed
