#include "bench/dht_lookup_bench.hpp"

#include <chrono>
#include <cstdio>
#include <stdexcept>

namespace dynfeed::bench {

nlohmann::json run_dht_lookup_bench(const sim::lookup_study_config& config) {
  auto wall_start = std::chrono::steady_clock::now();
  auto r = sim::run_lookup_study(config);
  if (!r)
    throw std::runtime_error(r.error().to_string());
  double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  char digest[17];
  std::snprintf(digest, sizeof digest, "%016llx", static_cast<unsigned long long>(r->digest));
  auto ms = [](clock_time t) { return std::chrono::duration<double, std::milli>(t).count(); };
  return {
    {"bench", "dht-lookup"},
    {"seed", config.seed},
    {"nodes", config.nodes},
    {"nodesAlive", r->nodes_alive},
    {"lookups", config.lookups},
    {"failed", r->failed},
    {"latencyData", config.latency_data},
    {"deadShare", config.dead_share},
    {"loss", config.loss},
    {"alpha", config.dht.alpha},
    {"k", config.dht.k},
    {"queryTimeoutMs", ms(config.dht.query_timeout)},
    {"lookupRetries", config.dht.lookup_retries},
    {"lookupS", {{"mean", r->mean_s}, {"p10", r->p10_s}, {"p50", r->p50_s},
                 {"p90", r->p90_s}, {"p99", r->p99_s}}},
    {"firstPeerS", {{"mean", r->first_peer_mean_s}, {"p50", r->first_peer_p50_s},
                    {"p90", r->first_peer_p90_s}}},
    {"lookupsWithPeer", r->first_peer_seconds.size()},
    {"announcesFailed", r->announces_failed},
    {"hopsMean", r->hops_mean},
    {"queriesMean", r->queries_mean},
    {"timeoutsMean", r->timeouts_mean},
    {"events", r->events},
    {"digest", digest},
    {"wallS", wall_s},
  };
}

} // namespace dynfeed::bench
