#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

namespace dynfeed::bench {

struct tracker_bench_options {
  /// Source IPs announcing, each `records_per_source` records (at most the server's quota, 64).
  uint32_t sources = 4096;
  uint32_t records_per_source = 64;
  /// Topics the records are spread over: 1 puts every record in one topic.
  uint32_t topics = 1;
  /// Lookups of the first topic timed once the tracker is full.
  uint32_t lookups = 20000;
  uint64_t seed = 1;
};

/// Fills a tracker server (discovery/tracker.hpp, default limits) with announces from many
/// sources in the simulator, then times lookups of the first topic. Reports the records held
/// and refused, the resident memory they took (bytes per record), and lookups per second of
/// wall time (the simulator's delivery included): with the sample drawn by index, a topic of
/// 262,144 records answers about as fast as one of 1,000.
nlohmann::json run_tracker_bench(const tracker_bench_options& options);

} // namespace dynfeed::bench
