#pragma once

/// Where a feed keeps its blocks, tree nodes, signed tree and bitfield. Writes go only through
/// commit(), which applies a whole batch atomically or nothing.

#include "dynfeed/base/expected.hpp"
#include "dynfeed/crypto/crypto.hpp"
#include "dynfeed/feed/merkle.hpp"
#include "dynfeed/feed/proof.hpp"
#include "dynfeed/storage/errc.hpp"

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace dynfeed {

/// Written once, when the feed is created.
struct feed_meta {
  static constexpr uint32_t current_version = 1;
  uint32_t version = current_version;
  public_key key;
};

/// The signed tree without its roots: the roots are stored as tree nodes.
struct head_record {
  uint64_t fork = 0;
  uint64_t length = 0;
  signature sig;
};

/// Everything one append (or one verified download, or one truncation) writes, applied
/// atomically. Block values are views: they must stay valid until commit() returns.
struct store_batch {
  std::optional<feed_meta> meta;
  /// Applied first: removes every block at index >= truncate_to and every tree node whose span
  /// reaches past block truncate_to - 1 (a truncation, or a reader moving to a newer fork). The
  /// bitfield pages are the caller's to rewrite in the same batch.
  std::optional<uint64_t> truncate_to;
  std::vector<std::pair<uint64_t, byte_span>> blocks;
  std::vector<tree_node> nodes;
  std::optional<head_record> head;
  std::vector<std::pair<uint64_t, bytes>> bitfield_pages;

  bool empty() const noexcept {
    return !meta && !truncate_to && blocks.empty() && nodes.empty() && !head && bitfield_pages.empty();
  }
};

class feed_store : public node_source {
public:
  ~feed_store() override = default;

  virtual expected<std::optional<feed_meta>> load_meta() = 0;
  virtual expected<std::optional<head_record>> load_head() = 0;
  /// All stored bitfield pages, as (page number, bytes).
  virtual expected<std::vector<std::pair<uint64_t, bytes>>> load_bitfield() = 0;
  virtual expected<std::optional<bytes>> get_block(uint64_t index) = 0;
  /// Blocks [first, first + count); a block that is not stored is an error.
  virtual expected<std::vector<bytes>> get_blocks(uint64_t first, uint64_t count);
  expected<std::optional<tree_node>> find_node(uint64_t index) override = 0;
  /// Applies every part of `batch` or none of it.
  virtual status commit(const store_batch& batch) = 0;
};

} // namespace dynfeed
