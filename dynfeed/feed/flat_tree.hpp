#pragma once

/// Flat-tree indexing (Hypercore's flat-tree): a binary tree laid out in one array where block i
/// is the leaf at index 2i, odd indexes are parents, and a node's depth is the number of
/// trailing one bits of its index.

#include <cstdint>
#include <vector>

namespace dynfeed::flat {

/// Number of trailing 1-bits of `i`.
constexpr uint64_t depth(uint64_t i) noexcept {
  uint64_t d = 0;
  while (i & 1) {
    i >>= 1;
    ++d;
  }
  return d;
}

/// Position of `i` among the nodes of its depth, counted from the left.
constexpr uint64_t offset(uint64_t i) noexcept {
  return i >> (depth(i) + 1);
}

/// The node at depth `d` and offset `o`.
constexpr uint64_t index(uint64_t d, uint64_t o) noexcept {
  return (o << (d + 1)) | ((uint64_t{1} << d) - 1);
}

constexpr uint64_t parent(uint64_t i) noexcept {
  uint64_t d = depth(i);
  return index(d + 1, offset(i) >> 1);
}

constexpr uint64_t sibling(uint64_t i) noexcept {
  uint64_t d = depth(i);
  return index(d, offset(i) ^ 1);
}

constexpr uint64_t left_child(uint64_t i) noexcept {
  uint64_t d = depth(i);
  return index(d - 1, offset(i) << 1);
}

constexpr uint64_t right_child(uint64_t i) noexcept {
  uint64_t d = depth(i);
  return index(d - 1, (offset(i) << 1) + 1);
}

/// Leftmost leaf index under `i`.
constexpr uint64_t left_span(uint64_t i) noexcept {
  return offset(i) << (depth(i) + 1);
}

/// Rightmost leaf index under `i`.
constexpr uint64_t right_span(uint64_t i) noexcept {
  return ((offset(i) + 1) << (depth(i) + 1)) - 2;
}

/// Number of nodes in the subtree rooted at `i`.
constexpr uint64_t count(uint64_t i) noexcept {
  return (uint64_t{2} << depth(i)) - 1;
}

/// Number of leaves (blocks) under `i`.
constexpr uint64_t count_leaves(uint64_t i) noexcept {
  return uint64_t{1} << depth(i);
}

/// True if the subtree rooted at `i` contains node `j`: a flat-tree subtree occupies exactly
/// the contiguous index range from its leftmost to its rightmost leaf.
constexpr bool contains(uint64_t i, uint64_t j) noexcept {
  return left_span(i) <= j && j <= right_span(i);
}

/// Leaf index of block `block`.
constexpr uint64_t leaf(uint64_t block) noexcept {
  return 2 * block;
}

/// True if node `i` is complete (all its leaves exist) in a tree of `length` blocks.
constexpr bool exists(uint64_t i, uint64_t length) noexcept {
  return right_span(i) < 2 * length;
}

/// Roots of the perfect subtrees that make up a tree of `length` blocks, left to right
/// (Hypercore's fullRoots(2 * length)).
inline std::vector<uint64_t> full_roots(uint64_t length) {
  std::vector<uint64_t> roots;
  uint64_t offset = 0;
  while (length > 0) {
    uint64_t factor = 1;
    while (factor * 2 <= length)
      factor *= 2;
    roots.push_back(offset + factor - 1);
    offset += 2 * factor;
    length -= factor;
  }
  return roots;
}

} // namespace dynfeed::flat
