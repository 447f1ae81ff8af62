#include "dynfeed/feed/tree.hpp"

#include "dynfeed/feed/errc.hpp"
#include "dynfeed/feed/flat_tree.hpp"

#include <string>

namespace dynfeed {

uint64_t signed_tree::byte_length() const noexcept {
  uint64_t total = 0;
  for (const tree_node& root : roots)
    total += root.size;
  return total;
}

bool signed_tree::shape_valid() const {
  std::vector<uint64_t> expected_roots = flat::full_roots(length);
  if (expected_roots.size() != roots.size())
    return false;
  for (size_t i = 0; i < roots.size(); ++i)
    if (roots[i].index != expected_roots[i])
      return false;
  return true;
}

bool signed_tree::verify(const public_key& key) const {
  if (!shape_valid())
    return false;
  if (length == 0 && fork == 0)
    return true;
  return crypto::verify(sig, byte_span{signable()}, key);
}

void append_root(std::vector<tree_node>& roots, const tree_node& node,
                 std::vector<tree_node>* created) {
  roots.push_back(node);
  if (created)
    created->push_back(node);
  while (roots.size() > 1) {
    const tree_node& right = roots[roots.size() - 1];
    const tree_node& left = roots[roots.size() - 2];
    if (flat::sibling(right.index) != left.index)
      break;
    tree_node merged = merkle::parent(left, right);
    roots.pop_back();
    roots.back() = merged;
    if (created)
      created->push_back(merged);
  }
}

expected<append_batch> prepare_append(const signed_tree& base, const std::vector<byte_span>& blocks,
                                      const append_limits& limits, helper_thread* helper) {
  if (blocks.empty())
    return error{feed_errc::empty_batch};
  if (blocks.size() > limits.block_count_max)
    return error{feed_errc::batch_too_large, std::to_string(blocks.size()) + " blocks, at most "
                                               + std::to_string(limits.block_count_max)};
  uint64_t total = 0;
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (blocks[i].size() > limits.block_size_max)
      return error{feed_errc::block_too_large,
                   "block " + std::to_string(i) + " of the batch has "
                     + std::to_string(blocks[i].size()) + " bytes, at most "
                     + std::to_string(limits.block_size_max)};
    total += blocks[i].size();
  }
  if (total > limits.batch_size_max)
    return error{feed_errc::batch_too_large, std::to_string(total) + " bytes, at most "
                                               + std::to_string(limits.batch_size_max)};
  append_batch batch;
  batch.base_length = base.length;
  batch.nodes.reserve(blocks.size() * 2);
  batch.tree.fork = base.fork;
  batch.tree.roots = base.roots;
  std::vector<tree_node> leaves(blocks.size());
  auto hash_leaves = [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i)
      leaves[i] = merkle::leaf(base.length + i, blocks[i]);
  };
  // Below this many blocks, waking the helper costs more than it saves.
  constexpr size_t parallel_blocks_min = 16;
  constexpr size_t parallel_chunk = 4;
  if (helper)
    helper->run_split(blocks.size(), parallel_blocks_min, parallel_chunk, hash_leaves);
  else
    hash_leaves(0, blocks.size());
  for (const tree_node& leaf : leaves)
    append_root(batch.tree.roots, leaf, &batch.nodes);
  batch.tree.length = base.length + blocks.size();
  return batch;
}

void sign_batch(append_batch& batch, const secret_key& sk) {
  batch.tree.sig = crypto::sign(byte_span{batch.tree.signable()}, sk);
}

} // namespace dynfeed
