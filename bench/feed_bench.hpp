#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace dynfeed::bench {

struct feed_bench_options {
  uint64_t blocks = 100000;
  uint64_t block_size = 1024;
  uint64_t batch = 1;
  uint64_t reads = 100000;   ///< random reads in each read phase
  bool fsync = false;        ///< the store's power-loss durability option
  bool in_memory = false;    ///< memory_store instead of RocksDB on disk
  bool parallel_hashing = true; ///< hash large batches on two threads, as the node does
  std::string dir;           ///< where the on-disk store goes; a fresh temporary one if empty
  uint64_t seed = 1;
};

/// Appends `blocks` blocks in batches of `batch`, then reads random blocks plainly and with a
/// proof built and verified, and reports rates and where the time goes.
nlohmann::json run_feed_bench(const feed_bench_options& options);

} // namespace dynfeed::bench
