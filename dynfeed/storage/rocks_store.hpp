#pragma once

#include "dynfeed/storage/rocks_options.hpp"
#include "dynfeed/storage/store.hpp"
#include "dynfeed/storage/value_store.hpp"

#include <memory>
#include <string>

namespace rocksdb {
class WriteBatch;
} // namespace rocksdb

namespace dynfeed {

/// A feed_store and value_store in a RocksDB database. This file and rocks_store.cpp are the only
/// users of RocksDB. One database holds one feed and any number of value feeds; a process holds
/// the database's lock while open.
class rocks_store final : public feed_store, public value_store {
public:
  static expected<std::unique_ptr<rocks_store>> open(const std::string& path,
                                                     const rocks_options& options);
  ~rocks_store() override;

  expected<std::optional<feed_meta>> load_meta() override;
  expected<std::optional<head_record>> load_head() override;
  expected<std::vector<std::pair<uint64_t, bytes>>> load_bitfield() override;
  expected<std::optional<bytes>> get_block(uint64_t index) override;
  expected<std::vector<bytes>> get_blocks(uint64_t first, uint64_t count) override;
  expected<std::optional<tree_node>> find_node(uint64_t index) override;
  status commit(const store_batch& batch) override;

  expected<std::optional<value_record>> load_value(const hash256& feed_id) override;
  status store_value(const hash256& feed_id, const value_record& record) override;
  expected<std::vector<hash256>> list_values() override;

  struct impl;

private:
  explicit rocks_store(std::unique_ptr<impl> impl);
  status truncate(uint64_t length, rocksdb::WriteBatch& wb);
  void put_nodes(const std::vector<tree_node>& nodes, rocksdb::WriteBatch& wb);
  std::unique_ptr<impl> impl_;
};

} // namespace dynfeed
