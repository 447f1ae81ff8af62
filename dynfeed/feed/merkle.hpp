#pragma once

/// Hypercore's Merkle hashing (../shared/spec/merkle-log.md, section 2 and 3): leaf, parent and
/// tree hashes, the namespaces, and the 80-byte signable of compat key mode.

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/crypto/crypto.hpp"

#include <array>
#include <cstdint>
#include <vector>

namespace dynfeed {

/// A Merkle tree node. `size` is the number of data bytes under the node, not a block count.
struct tree_node {
  uint64_t index = 0;
  uint64_t size = 0;
  hash256 hash;

  friend bool operator==(const tree_node& a, const tree_node& b) noexcept {
    return a.index == b.index && a.size == b.size && a.hash == b.hash;
  }
  friend bool operator!=(const tree_node& a, const tree_node& b) noexcept { return !(a == b); }
};

namespace merkle {

/// The six Hypercore namespaces, in the order crypto.namespace('hypercore', 6) makes them.
enum class ns : uint8_t {
  tree = 0,
  replicate_initiator,
  replicate_responder,
  manifest,
  default_namespace,
  default_encryption,
};
const hash256& namespace_hash(ns which) noexcept;

/// H(0x00 || u64le(len) || data).
hash256 leaf_hash(byte_span data) noexcept;
/// The leaf node of block `block_index`.
tree_node leaf(uint64_t block_index, byte_span data) noexcept;
/// H(0x01 || u64le(a.size + b.size) || left.hash || right.hash), left being the lower index.
/// `a` and `b` must be siblings.
tree_node parent(const tree_node& a, const tree_node& b) noexcept;
/// H(0x02 || for each root: hash || u64le(index) || u64le(size)).
hash256 tree_hash(const std::vector<tree_node>& roots) noexcept;

/// TREE_NS || tree_hash || u64le(length) || u64le(fork): what the writer signs (compat mode).
using signable_bytes = std::array<uint8_t, 80>;
signable_bytes signable(const hash256& tree_hash, uint64_t length, uint64_t fork) noexcept;

} // namespace merkle
} // namespace dynfeed
