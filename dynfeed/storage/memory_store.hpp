#pragma once

#include "dynfeed/base/flat_map.hpp"
#include "dynfeed/storage/store.hpp"
#include "dynfeed/storage/value_store.hpp"

#include <functional>
#include <map>
#include <memory>
#include <unordered_map>

namespace dynfeed {

/// Block contents and Merkle tree nodes shared between memory stores: a simulation's readers
/// all store the writer's blocks and the same tree, so each distinct content and node is kept
/// once, and a store keeps a reference to it. Both are found by index and compared whole (a
/// block byte for byte, a node's hash and size); none is freed before the pool.
class block_pool {
public:
  /// The pool's copy of `block` stored at `index` (made on first sight).
  std::shared_ptr<const bytes> intern(uint64_t index, byte_span block);
  /// The pool's copy of `node` (made on first sight); it lives as long as the pool.
  const tree_node* intern(const tree_node& node);
  /// Distinct contents held.
  size_t size() const noexcept { return size_; }
  /// Distinct tree nodes held.
  size_t node_count() const noexcept { return node_count_; }

private:
  std::unordered_map<uint64_t, std::vector<std::shared_ptr<const bytes>>> by_index_;
  size_t size_ = 0;
  std::unordered_map<uint64_t, std::vector<std::unique_ptr<const tree_node>>> nodes_by_index_;
  size_t node_count_ = 0;
};

/// A feed_store and value_store in memory, for tests and large simulations. It can be told to
/// fail its next writes, to test that callers change nothing when a write fails.
class memory_store final : public feed_store, public value_store {
public:
  expected<std::optional<feed_meta>> load_meta() override;
  expected<std::optional<head_record>> load_head() override;
  expected<std::vector<std::pair<uint64_t, bytes>>> load_bitfield() override;
  expected<std::optional<bytes>> get_block(uint64_t index) override;
  expected<std::optional<tree_node>> find_node(uint64_t index) override;
  status commit(const store_batch& batch) override;

  expected<std::optional<value_record>> load_value(const hash256& feed_id) override;
  status store_value(const hash256& feed_id, const value_record& record) override;
  expected<std::vector<hash256>> list_values() override;

  /// Makes the next `count` writes (commits and stored values) fail with store_errc::io_error,
  /// writing nothing.
  void fail_commits(uint64_t count) noexcept { failing_commits_ = count; }
  uint64_t commit_count() const noexcept { return commit_count_; }
  /// A fault injected by tests: `fault` may change each block as it is stored (a disk or a bug
  /// that corrupts data), to show that the checks above the store catch it.
  void set_block_fault(std::function<void(uint64_t index, bytes& block)> fault) {
    block_fault_ = std::move(fault);
  }

  /// Keeps block contents and tree nodes in `pool` from now on (set it before the first
  /// commit), shared with the other stores of that pool.
  void share_blocks(std::shared_ptr<block_pool> pool);

  /// Direct access for tests that corrupt a store on purpose (a store without a pool).
  flat_map<uint64_t, bytes>& blocks() noexcept { return blocks_; }
  flat_map<uint64_t, tree_node>& nodes() noexcept { return nodes_; }

private:
  /// Removes blocks and tree nodes past `length` (store_batch::truncate_to).
  void truncate(uint64_t length);
  /// True (and counted down) when the next write is to fail.
  bool inject_failure() noexcept;

  std::optional<feed_meta> meta_;
  std::optional<head_record> head_;
  // Sorted vectors: a simulation holds hundreds of thousands of small stores, and a feed's
  // blocks and nodes mostly arrive in order (appends, downloads front to back).
  flat_map<uint64_t, bytes> blocks_;
  flat_map<uint64_t, std::shared_ptr<const bytes>> shared_blocks_; ///< with a pool
  std::shared_ptr<block_pool> pool_;
  flat_map<uint64_t, tree_node> nodes_;
  flat_map<uint64_t, const tree_node*> shared_nodes_; ///< with a pool: its copies
  std::map<uint64_t, bytes> bitfield_;
  std::map<hash256, value_record> values_;
  uint64_t failing_commits_ = 0;
  uint64_t commit_count_ = 0;
  std::function<void(uint64_t, bytes&)> block_fault_;
};

} // namespace dynfeed
