#pragma once

#include "dynfeed/sim/dht_calibration.hpp"

#include <nlohmann/json.hpp>

namespace dynfeed::bench {

/// Runs sim::run_lookup_study and reports the lookup time distribution (seconds: mean, p10,
/// p50, p90, p99), hops, queries and timeouts per lookup, the settings that matter for
/// comparing with published figures (nodes, alpha, k, query timeout, retries, dead share,
/// latency set) and the run's digest. Throws std::runtime_error when the study cannot run.
nlohmann::json run_dht_lookup_bench(const sim::lookup_study_config& config);

} // namespace dynfeed::bench
