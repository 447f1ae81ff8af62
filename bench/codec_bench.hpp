#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>

namespace dynfeed::bench {

struct codec_bench_options {
  uint64_t frames = 20000;    ///< frames encoded, then decoded, in each phase
  uint64_t blocks = 64;       ///< blocks per data frame
  uint64_t block_size = 1024; ///< bytes per block
  uint64_t seed = 1;
};

/// Encodes and decodes data frames carrying `blocks` blocks each (with a 10-node path, as a
/// chunk of a large feed has), and reports frames/s and MB/s of frame bytes.
nlohmann::json run_codec_bench(const codec_bench_options& options);

} // namespace dynfeed::bench
