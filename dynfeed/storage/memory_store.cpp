#include "dynfeed/storage/memory_store.hpp"

#include "dynfeed/base/assert.hpp"
#include "dynfeed/feed/flat_tree.hpp"

#include <algorithm>

namespace dynfeed {

std::shared_ptr<const bytes> block_pool::intern(uint64_t index, byte_span block) {
  std::vector<std::shared_ptr<const bytes>>& known = by_index_[index];
  for (const auto& content : known)
    if (content->size() == block.size() && std::equal(block.begin(), block.end(), content->begin()))
      return content;
  known.push_back(std::make_shared<const bytes>(block.to_bytes()));
  ++size_;
  return known.back();
}

const tree_node* block_pool::intern(const tree_node& node) {
  std::vector<std::unique_ptr<const tree_node>>& known = nodes_by_index_[node.index];
  for (const auto& copy : known)
    if (copy->hash == node.hash && copy->size == node.size)
      return copy.get();
  known.push_back(std::make_unique<const tree_node>(node));
  ++node_count_;
  return known.back().get();
}

void memory_store::share_blocks(std::shared_ptr<block_pool> pool) {
  DYNFEED_REQUIRE(blocks_.empty() && shared_blocks_.empty() && nodes_.empty() &&
                  shared_nodes_.empty());
  pool_ = std::move(pool);
}

expected<std::vector<bytes>> feed_store::get_blocks(uint64_t first, uint64_t count) {
  std::vector<bytes> out;
  out.reserve(count);
  for (uint64_t i = first; i < first + count; ++i) {
    auto block = get_block(i);
    if (!block)
      return std::move(block).error();
    if (!*block)
      return error{store_errc::corrupt, "block " + std::to_string(i) + " is missing"};
    out.push_back(std::move(**block));
  }
  return out;
}

expected<std::optional<feed_meta>> memory_store::load_meta() {
  return meta_;
}

expected<std::optional<head_record>> memory_store::load_head() {
  return head_;
}

expected<std::vector<std::pair<uint64_t, bytes>>> memory_store::load_bitfield() {
  return std::vector<std::pair<uint64_t, bytes>>(bitfield_.begin(), bitfield_.end());
}

expected<std::optional<bytes>> memory_store::get_block(uint64_t index) {
  if (pool_) {
    const std::shared_ptr<const bytes>* shared = shared_blocks_.find(index);
    if (!shared)
      return std::optional<bytes>{};
    return std::optional<bytes>{**shared};
  }
  const bytes* found = blocks_.find(index);
  if (!found)
    return std::optional<bytes>{};
  return std::optional<bytes>{*found};
}

expected<std::optional<tree_node>> memory_store::find_node(uint64_t index) {
  if (pool_) {
    const tree_node* const* shared = shared_nodes_.find(index);
    if (!shared)
      return std::optional<tree_node>{};
    return std::optional<tree_node>{**shared};
  }
  const tree_node* found = nodes_.find(index);
  if (!found)
    return std::optional<tree_node>{};
  return std::optional<tree_node>{*found};
}

void memory_store::truncate(uint64_t length) {
  std::vector<uint64_t> doomed;
  for (const auto& [index, value] : blocks_)
    if (index >= length)
      doomed.push_back(index);
  for (uint64_t index : doomed)
    blocks_.erase(index);
  doomed.clear();
  for (const auto& [index, value] : shared_blocks_)
    if (index >= length)
      doomed.push_back(index);
  for (uint64_t index : doomed)
    shared_blocks_.erase(index);
  doomed.clear();
  for (auto [index, node] : nodes_)
    if (flat::right_span(index) >= 2 * length)
      doomed.push_back(index);
  for (uint64_t index : doomed)
    nodes_.erase(index);
  doomed.clear();
  for (auto [index, node] : shared_nodes_)
    if (flat::right_span(index) >= 2 * length)
      doomed.push_back(index);
  for (uint64_t index : doomed)
    shared_nodes_.erase(index);
}

bool memory_store::inject_failure() noexcept {
  if (failing_commits_ == 0)
    return false;
  --failing_commits_;
  return true;
}

status memory_store::commit(const store_batch& batch) {
  if (inject_failure())
    return error{store_errc::io_error, "injected commit failure"};
  ++commit_count_;
  if (batch.meta)
    meta_ = batch.meta;
  if (batch.truncate_to)
    truncate(*batch.truncate_to);
  for (const auto& [index, value] : batch.blocks) {
    if (pool_ && !block_fault_) {
      shared_blocks_[index] = pool_->intern(index, value);
      continue;
    }
    bytes stored = value.to_bytes();
    if (block_fault_)
      block_fault_(index, stored);
    if (pool_)
      shared_blocks_[index] = pool_->intern(index, stored);
    else
      blocks_[index] = std::move(stored);
  }
  for (const tree_node& node : batch.nodes) {
    if (pool_)
      shared_nodes_[node.index] = pool_->intern(node);
    else
      nodes_[node.index] = node;
  }
  if (batch.head)
    head_ = batch.head;
  for (const auto& [page, data] : batch.bitfield_pages)
    bitfield_[page] = data;
  return {};
}

expected<std::optional<value_record>> memory_store::load_value(const hash256& feed_id) {
  auto it = values_.find(feed_id);
  if (it == values_.end())
    return std::optional<value_record>{};
  return std::optional<value_record>{it->second};
}

status memory_store::store_value(const hash256& feed_id, const value_record& record) {
  DYNFEED_REQUIRE(feed_id == record.def.id());
  if (inject_failure())
    return error{store_errc::io_error, "injected value write failure"};
  values_[feed_id] = record;
  return {};
}

expected<std::vector<hash256>> memory_store::list_values() {
  std::vector<hash256> ids;
  ids.reserve(values_.size());
  for (const auto& entry : values_)
    ids.push_back(entry.first);
  return ids;
}

} // namespace dynfeed
