#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace dynfeed::bench {

struct sim_bench_options {
  uint32_t nodes = 100000;     ///< readers; the writer comes on top
  double duration_s = 180;     ///< virtual seconds
  std::string driver = "plain";
  size_t peers_wanted = 4;     ///< outbound peers per swarm (memory grows with it)
  uint64_t seed = 1;
};

/// Runs a scale scenario (readers joining over a minute, following a writer that appends a
/// small block every 30 s in stable mode, ideal discovery) and reports the simulator's speed:
/// events and deliveries of real frames per wall second, the virtual-to-wall ratio, and the
/// memory the nodes take (peak resident set, per node).
nlohmann::json run_sim_bench(const sim_bench_options& options);

} // namespace dynfeed::bench
