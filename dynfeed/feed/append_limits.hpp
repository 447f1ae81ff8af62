#pragma once

#include <cstdint>

namespace dynfeed {

/// Limits on what one append may carry. A block over `block_size_max` is refused outright; the
/// network frame limit is derived from it so that any block can travel with its proof.
struct append_limits {
  static constexpr uint64_t default_block_size_max = uint64_t{4} << 20; // 4 MiB
  uint64_t block_size_max = default_block_size_max;
  uint64_t block_count_max = uint64_t{1} << 20;
  uint64_t batch_size_max = uint64_t{256} << 20;
};

} // namespace dynfeed
