#pragma once

/// A writer that equivocates: two trees signed by one key, at one fork, that cannot both be
/// true. The proof holds both signed trees and one node both trees hold under different
/// hashes, with its path up to a root of each, so anyone can check it with the key alone.

#include "dynfeed/base/expected.hpp"
#include "dynfeed/feed/proof.hpp"
#include "dynfeed/feed/tree.hpp"

#include <array>
#include <optional>
#include <vector>

namespace dynfeed {

struct equivocation_proof {
  public_key key;
  std::array<signed_tree, 2> trees;
  uint64_t index = 0; ///< the flat-tree index of the node the trees disagree on
  /// For each tree: its node at `index`, then that node's siblings, bottom-up, to a root of
  /// the tree (just the node when it is a root).
  std::array<std::vector<tree_node>, 2> paths;

  friend bool operator==(const equivocation_proof& a, const equivocation_proof& b) noexcept {
    return a.key == b.key && a.trees == b.trees && a.index == b.index && a.paths == b.paths;
  }
};

/// Checks the proof on its own: both trees are of one fork and verify under `key`, the node at
/// `index` exists in both, each path hashes up to a root of its tree, and the two nodes differ.
/// Errors: fork_mismatch, bad_signature, invalid_proof (each with what failed).
status verify_equivocation(const equivocation_proof& p);

/// Looks for a node on which `a` and `b` (verified trees of `key` at one fork, with their
/// verified nodes in `a_nodes` and `b_nodes`) disagree: every root of the shorter tree is
/// compared with the longer tree's node at its index. nullopt if one tree extends the other;
/// missing_node if a node needed to say is not at hand.
expected<std::optional<equivocation_proof>>
find_equivocation(const public_key& key, const signed_tree& a, node_source& a_nodes,
                  const signed_tree& b, node_source& b_nodes);

/// Node sources for the trees involved: the roots of a tree, and the nodes a proof verified.
class node_list final : public node_source {
public:
  explicit node_list(std::vector<tree_node> nodes);
  expected<std::optional<tree_node>> find_node(uint64_t index) override;

private:
  std::vector<tree_node> nodes_; ///< sorted by index
};

} // namespace dynfeed
