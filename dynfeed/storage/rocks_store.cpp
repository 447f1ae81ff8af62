#include "dynfeed/storage/rocks_store.hpp"

#include "dynfeed/base/flat_map.hpp"
#include "dynfeed/base/hex.hpp"
#include "dynfeed/feed/flat_tree.hpp"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>

namespace dynfeed {

namespace {

// Key layout: one tag byte, then a big-endian integer where there is one, so keys of a kind
// sort by index.
constexpr char meta_tag = 'M';
constexpr char head_tag = 'H';
constexpr char block_tag = 'B';
constexpr char node_page_tag = 'N';
constexpr char node_tag = 'n';
constexpr char bitfield_tag = 'F';
// A value feed's record (storage/value_store.cpp encodes it): 'V' and the feed's 32-byte id.
constexpr char value_tag = 'V';
constexpr size_t value_key_size = 1 + hash256::size_bytes;
constexpr char meta_magic[4] = {'D', 'Y', 'N', 'F'};
constexpr size_t meta_value_size = 4 + 4 + 32;
constexpr size_t head_value_size = 8 + 8 + 64;
constexpr size_t node_entry_size = 8 + 32;
// A batch that holds all 32 nodes of an aligned index range (a page) stores them as one record,
// so a large append or downloaded range writes about one key per block instead of three; any
// other node is a key of its own. Records are never rewritten, so small appends cost no extra
// bytes. A page record is a u32 mask of the slots present, then (u64le size, hash) for each
// present slot in index order.
constexpr uint64_t node_page_slots = 32;
constexpr uint32_t page_full_mask = static_cast<uint32_t>((uint64_t{1} << node_page_slots) - 1);

struct key_buf {
  char data[9];
  rocksdb::Slice slice() const { return {data, sizeof(data)}; }
};

key_buf indexed_key(char tag, uint64_t index) {
  key_buf k;
  k.data[0] = tag;
  store_u64be(reinterpret_cast<uint8_t*>(k.data + 1), index);
  return k;
}

/// Drops RocksDB's informational log lines (see open()).
class silent_logger : public rocksdb::Logger {
public:
  using rocksdb::Logger::Logv;
  void Logv(const char*, va_list) override {}
};

error from_status(const rocksdb::Status& s, const std::string& what) {
  std::string context = what + ": " + s.ToString();
  if (s.IsCorruption())
    return error{store_errc::corrupt, context};
  if (s.IsNoSpace() || s.ToString().find("No space left") != std::string::npos)
    return error{store_errc::no_space, context};
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos)
    return error{store_errc::locked, context};
  return error{store_errc::io_error, context};
}

byte_span as_span(const rocksdb::Slice& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

rocksdb::Slice as_slice(byte_span s) {
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}

std::array<char, value_key_size> value_key(const hash256& feed_id) {
  std::array<char, value_key_size> k;
  k[0] = value_tag;
  std::memcpy(k.data() + 1, feed_id.data(), hash256::size_bytes);
  return k;
}

using node_page = std::array<std::optional<tree_node>, node_page_slots>;

bytes encode_node_page(const node_page& page) {
  uint32_t mask = 0;
  for (uint64_t slot = 0; slot < node_page_slots; ++slot)
    if (page[slot])
      mask |= uint32_t{1} << slot;
  bytes out;
  out.reserve(4 + node_entry_size * node_page_slots);
  put_u32le(out, mask);
  for (const auto& node : page) {
    if (!node)
      continue;
    put_u64le(out, node->size);
    out.insert(out.end(), node->hash.bytes.begin(), node->hash.bytes.end());
  }
  return out;
}

expected<node_page> decode_node_page(uint64_t page_number, byte_span value) {
  if (value.size() < 4)
    return error{store_errc::corrupt, "tree node page " + std::to_string(page_number)};
  uint32_t mask = load_u32le(value.data());
  size_t present = static_cast<size_t>(__builtin_popcount(mask));
  if (value.size() != 4 + present * node_entry_size)
    return error{store_errc::corrupt, "tree node page " + std::to_string(page_number)};
  node_page page;
  const uint8_t* entry = value.data() + 4;
  for (uint64_t slot = 0; slot < node_page_slots; ++slot) {
    if (!(mask & (uint32_t{1} << slot)))
      continue;
    page[slot] = tree_node{page_number * node_page_slots + slot, load_u64le(entry),
                           hash256::from(byte_span{entry + 8, 32})};
    entry += node_entry_size;
  }
  return page;
}

} // namespace

struct rocks_store::impl {
  struct cached_node {
    uint64_t index_plus_one = 0; // 0 marks an empty slot
    tree_node node;
  };

  std::unique_ptr<rocksdb::DB> db;
  bool read_only = false;
  rocksdb::WriteOptions write_options;
  rocksdb::ReadOptions read_options;
  std::vector<cached_node> node_cache;
  uint64_t node_cache_mask = 0;
  /// The first failed write. RocksDB must not be written again after one (Debian's build
  /// asserts in its file writer, aborting the process, when a write follows a failed sync), so
  /// every later write is refused with it until the store is reopened.
  error write_failure;

  /// Records a failed write and returns it as an error.
  error failed_write(const rocksdb::Status& s, const std::string& what) {
    write_failure = from_status(s, what);
    return write_failure;
  }

  void cache(const tree_node& node) {
    if (node_cache.empty())
      return;
    cached_node& slot = node_cache[node.index & node_cache_mask];
    slot.index_plus_one = node.index + 1;
    slot.node = node;
  }

  /// The stored page `page_number` (empty if none), with its nodes put in the cache.
  expected<node_page> read_page(uint64_t page_number) {
    rocksdb::PinnableSlice value;
    rocksdb::Status s = db->Get(read_options, db->DefaultColumnFamily(),
                                indexed_key(node_page_tag, page_number).slice(), &value);
    if (s.IsNotFound())
      return node_page{};
    if (!s.ok())
      return from_status(s, "reading tree node page " + std::to_string(page_number));
    auto page = decode_node_page(page_number, as_span(value));
    if (page)
      for (const auto& node : *page)
        if (node)
          cache(*node);
    return page;
  }
};

rocks_store::rocks_store(std::unique_ptr<impl> impl) : impl_(std::move(impl)) {}

rocks_store::~rocks_store() = default;

expected<std::unique_ptr<rocks_store>> rocks_store::open(const std::string& path,
                                                        const rocks_options& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.paranoid_checks = true;
  // A torn last record is what a power loss leaves behind without fsync; any other damage to the
  // write-ahead log is an error rather than a silent rollback to an earlier point.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  // Feed blocks are often compressed or encrypted already; reads stay cheap without it.
  db_options.compression = rocksdb::kNoCompression;
  db_options.keep_log_file_num = 2;
  db_options.info_log_level = rocksdb::WARN_LEVEL;
  // RocksDB's own log file is not ours to need, and on a full disk it is what crashed the
  // process: a failed write to it leaves its writer in a state Debian's build asserts on at the
  // next line (every error reaches us as a Status anyway).
  db_options.info_log = std::make_shared<silent_logger>();
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_size);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Every read is a point lookup: a hash index inside each data block skips the binary search.
  table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  db_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = options.read_only ? rocksdb::DB::OpenForReadOnly(db_options, path, &raw)
                                        : rocksdb::DB::Open(db_options, path, &raw);
  if (!s.ok()) {
    if (!options.create_if_missing
        && (s.IsInvalidArgument() || s.IsPathNotFound() || s.IsNotFound())
        && s.ToString().find("does not exist") != std::string::npos)
      return error{store_errc::not_found, path};
    return from_status(s, "opening " + path);
  }
  auto state = std::make_unique<impl>();
  state->db.reset(raw);
  state->read_only = options.read_only;
  state->write_options.sync = options.fsync;
  // A batch's keys are mostly consecutive indexes; the hint lets each skiplist insert start
  // where the previous one ended.
  state->write_options.memtable_insert_hint_per_batch = true;
  state->read_options.verify_checksums = true;
  if (options.node_cache_entries > 0) {
    size_t entries = 1;
    while (entries < options.node_cache_entries)
      entries *= 2;
    state->node_cache.resize(entries);
    state->node_cache_mask = entries - 1;
  }
  return std::unique_ptr<rocks_store>(new rocks_store(std::move(state)));
}

expected<std::optional<feed_meta>> rocks_store::load_meta() {
  std::string value;
  char key = meta_tag;
  rocksdb::Status s = impl_->db->Get(impl_->read_options, rocksdb::Slice{&key, 1}, &value);
  if (s.IsNotFound())
    return std::optional<feed_meta>{};
  if (!s.ok())
    return from_status(s, "reading metadata");
  if (value.size() != meta_value_size || std::memcmp(value.data(), meta_magic, 4) != 0)
    return error{store_errc::corrupt, "metadata record"};
  auto raw = reinterpret_cast<const uint8_t*>(value.data());
  feed_meta meta;
  meta.version = static_cast<uint32_t>(load_u64le(raw + 4) & 0xffffffffu);
  if (meta.version != feed_meta::current_version)
    return error{store_errc::version, "version " + std::to_string(meta.version)};
  meta.key = public_key::from(byte_span{raw + 8, 32});
  return std::optional<feed_meta>{meta};
}

expected<std::optional<head_record>> rocks_store::load_head() {
  std::string value;
  char key = head_tag;
  rocksdb::Status s = impl_->db->Get(impl_->read_options, rocksdb::Slice{&key, 1}, &value);
  if (s.IsNotFound())
    return std::optional<head_record>{};
  if (!s.ok())
    return from_status(s, "reading the signed tree");
  if (value.size() != head_value_size)
    return error{store_errc::corrupt, "signed tree record"};
  auto raw = reinterpret_cast<const uint8_t*>(value.data());
  head_record head;
  head.fork = load_u64le(raw);
  head.length = load_u64le(raw + 8);
  head.sig = signature::from(byte_span{raw + 16, 64});
  return std::optional<head_record>{head};
}

expected<std::vector<std::pair<uint64_t, bytes>>> rocks_store::load_bitfield() {
  std::vector<std::pair<uint64_t, bytes>> pages;
  std::unique_ptr<rocksdb::Iterator> it{impl_->db->NewIterator(impl_->read_options)};
  char prefix = bitfield_tag;
  for (it->Seek(rocksdb::Slice{&prefix, 1}); it->Valid() && it->key()[0] == bitfield_tag;
       it->Next()) {
    if (it->key().size() != 9)
      return error{store_errc::corrupt, "bitfield key"};
    uint64_t page = load_u64be(reinterpret_cast<const uint8_t*>(it->key().data() + 1));
    pages.emplace_back(page, as_span(it->value()).to_bytes());
  }
  if (!it->status().ok())
    return from_status(it->status(), "reading the bitfield");
  return pages;
}

expected<std::optional<bytes>> rocks_store::get_block(uint64_t index) {
  rocksdb::PinnableSlice value;
  rocksdb::Status s = impl_->db->Get(impl_->read_options, impl_->db->DefaultColumnFamily(),
                                     indexed_key(block_tag, index).slice(), &value);
  if (s.IsNotFound())
    return std::optional<bytes>{};
  if (!s.ok())
    return from_status(s, "reading block " + std::to_string(index));
  return std::optional<bytes>{as_span(value).to_bytes()};
}

expected<std::vector<bytes>> rocks_store::get_blocks(uint64_t first, uint64_t count) {
  if (count == 1) {
    auto one = get_block(first);
    if (!one)
      return std::move(one).error();
    if (!*one)
      return error{store_errc::corrupt, "block " + std::to_string(first) + " is missing"};
    return std::vector<bytes>{std::move(**one)};
  }
  // Consecutive blocks are consecutive keys: one iterator beats a lookup per block.
  std::vector<bytes> out;
  out.reserve(count);
  // Consecutive blocks are read in one sweep: read ahead instead of one small read per table
  // block.
  rocksdb::ReadOptions sweep = impl_->read_options;
  sweep.readahead_size = size_t{256} << 10;
  std::unique_ptr<rocksdb::Iterator> it{impl_->db->NewIterator(sweep)};
  key_buf key = indexed_key(block_tag, first);
  it->Seek(key.slice());
  for (uint64_t i = first; i < first + count; ++i, it->Next()) {
    key = indexed_key(block_tag, i);
    if (!it->Valid() || it->key() != key.slice()) {
      if (!it->status().ok())
        return from_status(it->status(), "reading block " + std::to_string(i));
      return error{store_errc::corrupt, "block " + std::to_string(i) + " is missing"};
    }
    out.push_back(as_span(it->value()).to_bytes());
  }
  return out;
}

expected<std::optional<tree_node>> rocks_store::find_node(uint64_t index) {
  if (!impl_->node_cache.empty()) {
    const impl::cached_node& slot = impl_->node_cache[index & impl_->node_cache_mask];
    if (slot.index_plus_one == index + 1)
      return std::optional<tree_node>{slot.node};
  }
  auto page = impl_->read_page(index / node_page_slots);
  if (!page)
    return std::move(page).error();
  if (const auto& node = (*page)[index % node_page_slots])
    return node;
  rocksdb::PinnableSlice value;
  rocksdb::Status s = impl_->db->Get(impl_->read_options, impl_->db->DefaultColumnFamily(),
                                     indexed_key(node_tag, index).slice(), &value);
  if (s.IsNotFound())
    return std::optional<tree_node>{};
  if (!s.ok())
    return from_status(s, "reading tree node " + std::to_string(index));
  if (value.size() != node_entry_size)
    return error{store_errc::corrupt, "tree node " + std::to_string(index)};
  auto raw = reinterpret_cast<const uint8_t*>(value.data());
  tree_node node{index, load_u64le(raw), hash256::from(byte_span{raw + 8, 32})};
  impl_->cache(node);
  return std::optional<tree_node>{node};
}

void rocks_store::put_nodes(const std::vector<tree_node>& nodes, rocksdb::WriteBatch& wb) {
  std::vector<const tree_node*> sorted;
  sorted.reserve(nodes.size());
  for (const tree_node& node : nodes)
    sorted.push_back(&node);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const tree_node* a, const tree_node* b) { return a->index < b->index; });
  for (size_t i = 0; i < sorted.size();) {
    uint64_t page_number = sorted[i]->index / node_page_slots;
    size_t end = i;
    node_page page;
    uint32_t covered = 0;
    while (end < sorted.size() && sorted[end]->index / node_page_slots == page_number) {
      page[sorted[end]->index % node_page_slots] = *sorted[end];
      covered |= uint32_t{1} << (sorted[end++]->index % node_page_slots);
    }
    if (covered == page_full_mask) {
      bytes value = encode_node_page(page);
      wb.Put(indexed_key(node_page_tag, page_number).slice(), as_slice(value));
      i = end;
      continue;
    }
    for (; i < end; ++i) {
      uint8_t value[node_entry_size];
      store_u64le(value, sorted[i]->size);
      std::memcpy(value + 8, sorted[i]->hash.data(), 32);
      wb.Put(indexed_key(node_tag, sorted[i]->index).slice(),
             as_slice(byte_span{value, sizeof(value)}));
    }
  }
}

status rocks_store::truncate(uint64_t length, rocksdb::WriteBatch& wb) {
  constexpr uint64_t index_end = ~uint64_t{0};
  wb.DeleteRange(indexed_key(block_tag, length).slice(), indexed_key(block_tag, index_end).slice());
  // Every node at index >= 2 * length goes. Below that, only the ancestors of leaf 2 * length
  // reach past the end: a node's span holds its index, so any other node ends before it.
  uint64_t first_dropped = 2 * length;
  wb.DeleteRange(indexed_key(node_tag, first_dropped).slice(),
                 indexed_key(node_tag, index_end).slice());
  uint64_t first_page = (first_dropped + node_page_slots - 1) / node_page_slots;
  wb.DeleteRange(indexed_key(node_page_tag, first_page).slice(),
                 indexed_key(node_page_tag, index_end).slice());
  std::vector<uint64_t> crossing;
  for (uint64_t i = flat::leaf(length); flat::depth(i) < proof_depth_max; i = flat::parent(i))
    if (i < first_dropped && flat::left_span(i) < first_dropped)
      crossing.push_back(i);
  if (first_dropped % node_page_slots != 0)
    crossing.push_back(first_dropped); // marks the partly dropped page below first_page
  flat_map<uint64_t, node_page> pages;
  for (uint64_t i : crossing) {
    if (i != first_dropped)
      wb.Delete(indexed_key(node_tag, i).slice());
    uint64_t page_number = i / node_page_slots;
    if (page_number >= first_page || pages.contains(page_number))
      continue;
    auto page = impl_->read_page(page_number);
    if (!page)
      return std::move(page).error();
    pages.try_emplace(page_number, std::move(*page));
  }
  for (auto [page_number, page] : pages) {
    bool any = false;
    for (uint64_t slot = 0; slot < node_page_slots; ++slot) {
      uint64_t i = page_number * node_page_slots + slot;
      if (page[slot] && flat::right_span(i) >= first_dropped)
        page[slot].reset();
      any = any || page[slot].has_value();
    }
    if (!any) {
      wb.Delete(indexed_key(node_page_tag, page_number).slice());
      continue;
    }
    bytes value = encode_node_page(page);
    wb.Put(indexed_key(node_page_tag, page_number).slice(), as_slice(value));
  }
  return {};
}

status rocks_store::commit(const store_batch& batch) {
  if (impl_->read_only)
    return error{store_errc::io_error, "the store is open read-only"};
  rocksdb::WriteBatch wb;
  if (batch.truncate_to)
    if (auto st = truncate(*batch.truncate_to, wb); !st)
      return st;
  if (batch.meta) {
    uint8_t value[meta_value_size];
    std::memcpy(value, meta_magic, 4);
    uint8_t version[8];
    store_u64le(version, batch.meta->version);
    std::memcpy(value + 4, version, 4);
    std::memcpy(value + 8, batch.meta->key.data(), 32);
    char key = meta_tag;
    wb.Put(rocksdb::Slice{&key, 1}, as_slice(byte_span{value, sizeof(value)}));
  }
  for (const auto& [index, data] : batch.blocks)
    wb.Put(indexed_key(block_tag, index).slice(), as_slice(data));
  put_nodes(batch.nodes, wb);
  for (const auto& [page, data] : batch.bitfield_pages)
    wb.Put(indexed_key(bitfield_tag, page).slice(), as_slice(data));
  if (batch.head) {
    uint8_t value[head_value_size];
    store_u64le(value, batch.head->fork);
    store_u64le(value + 8, batch.head->length);
    std::memcpy(value + 16, batch.head->sig.data(), 64);
    char key = head_tag;
    wb.Put(rocksdb::Slice{&key, 1}, as_slice(byte_span{value, sizeof(value)}));
  }
  if (impl_->write_failure)
    return impl_->write_failure;
  rocksdb::Status s = impl_->db->Write(impl_->write_options, &wb);
  if (!s.ok())
    return impl_->failed_write(s, "committing a batch");
  if (batch.truncate_to)
    std::fill(impl_->node_cache.begin(), impl_->node_cache.end(), impl::cached_node{});
  for (const tree_node& node : batch.nodes)
    impl_->cache(node);
  return {};
}

expected<std::optional<value_record>> rocks_store::load_value(const hash256& feed_id) {
  auto key = value_key(feed_id);
  rocksdb::PinnableSlice value;
  rocksdb::Status s = impl_->db->Get(impl_->read_options, impl_->db->DefaultColumnFamily(),
                                     rocksdb::Slice{key.data(), key.size()}, &value);
  if (s.IsNotFound())
    return std::optional<value_record>{};
  if (!s.ok())
    return from_status(s, "reading value feed " + to_hex(feed_id));
  auto record = decode_value_record(as_span(value));
  if (!record)
    return std::move(record).error();
  if (record->def.id() != feed_id)
    return error{store_errc::corrupt,
                 "value record: it belongs to another feed than " + to_hex(feed_id)};
  return std::optional<value_record>{std::move(*record)};
}

status rocks_store::store_value(const hash256& feed_id, const value_record& record) {
  DYNFEED_REQUIRE(feed_id == record.def.id());
  if (impl_->read_only)
    return error{store_errc::io_error, "the store is open read-only"};
  auto key = value_key(feed_id);
  bytes value = encode_value_record(record);
  if (impl_->write_failure)
    return impl_->write_failure;
  rocksdb::Status s = impl_->db->Put(impl_->write_options, rocksdb::Slice{key.data(), key.size()},
                                     as_slice(value));
  if (!s.ok())
    return impl_->failed_write(s, "storing value feed " + to_hex(feed_id));
  return {};
}

expected<std::vector<hash256>> rocks_store::list_values() {
  std::vector<hash256> ids;
  std::unique_ptr<rocksdb::Iterator> it{impl_->db->NewIterator(impl_->read_options)};
  char prefix = value_tag;
  for (it->Seek(rocksdb::Slice{&prefix, 1}); it->Valid() && it->key()[0] == value_tag;
       it->Next()) {
    if (it->key().size() != value_key_size)
      return error{store_errc::corrupt, "value feed key of " + std::to_string(it->key().size())
                                          + " bytes"};
    ids.push_back(hash256::from(as_span(it->key()).subspan(1, hash256::size_bytes)));
  }
  if (!it->status().ok())
    return from_status(it->status(), "listing value feeds");
  return ids;
}

} // namespace dynfeed
