#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>

namespace dynfeed::bench {

struct channel_bench_options {
  uint64_t handshakes = 500;       ///< complete XX handshakes (both sides, one thread)
  uint64_t frames = 4000;          ///< frames pushed through one secure channel
  uint64_t frame_size = 64 * 1024; ///< bytes per frame
};

/// Handshakes per second, and the secure channel's throughput: sealing frames into transport
/// messages (send + output), opening them (feed), and both together, in MB/s of frame bytes.
nlohmann::json run_channel_bench(const channel_bench_options& options);

} // namespace dynfeed::bench
