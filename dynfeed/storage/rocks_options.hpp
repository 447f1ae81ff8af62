#pragma once

#include <cstddef>

namespace dynfeed {

struct rocks_options {
  /// Create the database if it does not exist (creating a feed); otherwise a missing database is
  /// store_errc::not_found.
  bool create_if_missing = false;
  /// Open without writing anything (no lock, no new files); commit() is then refused.
  bool read_only = false;
  /// fsync every commit. Without it an acknowledged commit survives the process being killed
  /// (it is in the write-ahead log in the OS page cache) but not a power loss.
  bool fsync = false;
  /// Entries in the direct-mapped node cache (a power of two); 0 disables it. Tree nodes are
  /// read log2(n) at a time for every proof, so keeping them in memory is what makes verified
  /// reads fast. 2^18 entries take 12 MiB.
  size_t node_cache_entries = size_t{1} << 18;
  /// RocksDB's block cache, in bytes.
  size_t block_cache_size = size_t{64} << 20;
};

} // namespace dynfeed
