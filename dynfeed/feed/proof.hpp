#pragma once

/// Proofs that let a reader verify any block on its own against a signed tree it trusts, and
/// upgrade that tree to the writer's newer length (../shared/spec/merkle-log.md, section 4).
/// The nodes and their order match Hypercore's; the wire encoding is dynfeed's own.

#include "dynfeed/base/expected.hpp"
#include "dynfeed/crypto/crypto.hpp"
#include "dynfeed/feed/merkle.hpp"
#include "dynfeed/feed/tree.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace dynfeed {

/// Reads stored (hence verified) tree nodes.
class node_source {
public:
  virtual ~node_source() = default;
  /// The node at `index`, nullopt if it is not stored; an error only when reading failed.
  virtual expected<std::optional<tree_node>> find_node(uint64_t index) = 0;
};

/// A request for `count` consecutive blocks from `index`: one block, or a chunk that forms a
/// perfect subtree (`count` a power of two, `index` a multiple of it), which the reader hashes
/// itself, so a chunk costs one proof instead of one per block.
struct block_request {
  uint64_t index = 0;
  /// How many sibling nodes the requester lacks on the path up from the chunk's root: it
  /// already holds the node that many levels up. Ignored when the chunk lies in an upgrade.
  uint64_t nodes = 0;
  uint64_t count = 1;
};

struct upgrade_request {
  uint64_t start = 0;  ///< the length the requester trusts
  uint64_t length = 0; ///< how many blocks to grow by (the proof may reach further)
};

struct proof_request {
  uint64_t fork = 0;
  std::optional<block_request> block;
  std::optional<upgrade_request> upgrade;
};

struct block_proof {
  uint64_t index = 0;
  std::vector<bytes> values;    ///< the chunk's blocks, in order
  std::vector<tree_node> nodes; ///< siblings, bottom-up, from the chunk's root
};

struct upgrade_proof {
  uint64_t start = 0;
  uint64_t length = 0;
  std::vector<tree_node> nodes;            ///< grow the tree from start to start + length
  std::vector<tree_node> additional_nodes; ///< grow it further, to signed_length
  uint64_t signed_length = 0;              ///< the length `sig` covers
  signature sig;
};

struct proof {
  uint64_t fork = 0;
  std::optional<block_proof> block;
  std::optional<upgrade_proof> upgrade;
};

/// Deepest a path can be: flat-tree indexes of lengths below 2^62 fit in 64 bits.
inline constexpr uint64_t proof_depth_max = 62;
inline constexpr uint64_t length_max = uint64_t{1} << 62;
/// Most blocks one chunk proof may carry.
inline constexpr uint64_t chunk_blocks_max = 1024;

/// The flat-tree index of the perfect subtree over blocks [index, index + count), if the request
/// names one (count a power of two up to chunk_blocks_max, index a multiple of count).
std::optional<uint64_t> chunk_root(uint64_t index, uint64_t count);

/// Builds the proof answering `req` from a feed whose signed tree is `tree`, reading nodes from
/// `nodes`. The block values are left empty for the caller to fill in.
expected<proof> build_proof(const proof_request& req, const signed_tree& tree, node_source& nodes);

/// What a proof established.
struct verified_proof {
  std::vector<tree_node> nodes;       ///< every node the proof verified, to be stored
  std::optional<signed_tree> tree;    ///< the upgraded tree, when the proof carried an upgrade
  std::optional<hash256> target_hash; ///< tree hash at upgrade start + length
};

/// Verifies `p` against the tree a reader trusts (`trusted`, with its stored nodes in
/// `trusted_nodes`) and the writer's public key. Changes nothing: the caller stores the result.
expected<verified_proof> verify_proof(const proof& p, const signed_tree& trusted,
                                      node_source& trusted_nodes, const public_key& key);

} // namespace dynfeed
