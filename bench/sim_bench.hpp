#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace dynfeed::bench {

struct sim_bench_options {
  /// A built-in scenario's name or a scenario file; empty: the scale scenario below.
  std::string scenario;
  std::optional<uint32_t> nodes;     ///< readers (default: 100,000, or the scenario's)
  std::optional<double> duration_s;  ///< virtual seconds (default: 180, or the scenario's)
  std::string driver = "plain";
  std::optional<size_t> peers_wanted; ///< outbound peers per swarm (default: 4, or the scenario's)
  /// A rotating feed's value swarm: outbound peers (default: the scenario's, else peers_wanted).
  std::optional<size_t> value_peers_wanted;
  std::optional<uint64_t> seed;      ///< default: 1, or the scenario's
};

/// Runs a scenario and reports the simulator's speed: events and deliveries of real frames per
/// wall and per CPU second, the virtual-to-wall ratio, and the memory the nodes take (peak
/// resident set, per node). Without a scenario it runs the scale scenario: readers joining over
/// a minute, following a writer that appends a small block every 30 s in stable mode, ideal
/// discovery. Throws std::runtime_error when the scenario cannot be loaded or an option is out
/// of range.
nlohmann::json run_sim_bench(const sim_bench_options& options);

} // namespace dynfeed::bench
