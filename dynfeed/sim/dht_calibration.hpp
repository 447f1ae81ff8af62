#pragma once

/// A calibration experiment for the measured network model (docs/simulator.md, "Calibration"):
/// a Mainline DHT of `nodes` nodes spread evenly over the regions of a measured latency set,
/// each with its own access delay, runs `lookups` get_peers lookups of random info-hashes from
/// random nodes, one after another (each target announced first by a random node), and
/// reports how long each took to its first peer and to its end, to compare with published
/// lookup times of real DHTs. The same config gives the same figures and digest, bit for bit.

#include "dynfeed/base/expected.hpp"
#include "dynfeed/discovery/dht_config.hpp"
#include "dynfeed/sim/distribution.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dynfeed::sim {

struct lookup_study_config {
  uint64_t seed = 1;
  uint32_t nodes = 1000;
  uint32_t lookups = 200;
  /// A built-in latency set (sim/data/) or a file; nodes go round-robin over its regions.
  std::string latency_data = "wonderproxy-2020";
  double jitter = 0.03;
  /// Per node, one way, drawn once (the `measured` scenario's: log-normal, median 17.45 ms).
  distribution access_delay_ms = distribution::lognormal(17.45, 0.35);
  double loss = 0;
  /// Share of the nodes that vanish without a word once the DHT has settled, so that routing
  /// tables hold dead contacts, as real ones under churn do (lookups then wait for timeouts).
  double dead_share = 0;
  /// Nodes join one every `join_spacing`, then the DHT settles for `settle`.
  clock_time join_spacing = std::chrono::milliseconds{20};
  clock_time settle = std::chrono::seconds{120};
  dht_config dht; ///< alpha, k, query_timeout, lookup_retries as the study runs them
};

struct lookup_study_result {
  std::vector<double> seconds; ///< each lookup's time to its end (the k closest settled), sorted
  /// Each lookup's time to the first peer record found (the target was announced), sorted.
  std::vector<double> first_peer_seconds;
  double first_peer_mean_s = 0;
  double first_peer_p50_s = 0;
  double first_peer_p90_s = 0;
  uint32_t announces_failed = 0;
  double mean_s = 0;
  double p10_s = 0;
  double p50_s = 0;
  double p90_s = 0;
  double p99_s = 0;
  double hops_mean = 0;
  double queries_mean = 0;
  double timeouts_mean = 0;
  uint32_t failed = 0;       ///< lookups that could not start or found no node
  uint32_t nodes_alive = 0;
  uint64_t events = 0;
  uint64_t digest = 0;
};

/// Runs the study. Errors: the latency data cannot be read, or a count is zero.
expected<lookup_study_result> run_lookup_study(const lookup_study_config& config);

/// The value at quantile q (0..1) of sorted values (nearest rank); 0 when empty.
double quantile_of_sorted(const std::vector<double>& sorted, double q);

} // namespace dynfeed::sim
