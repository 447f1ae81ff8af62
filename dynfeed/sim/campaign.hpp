#pragma once

/// A seeded fault campaign (docs/reliability.md, "A seeded fault campaign"): the seed alone
/// picks a whole configuration (mode, ID channels, discovery, sizes, loss, partitions, crashes,
/// churn, NAT), written as a scenario JSON that `dynfeed sim FILE` runs the same way, with a
/// liveness promise (scenario::liveness): every fault ends at a stated time, and every running
/// reader must then catch up within `liveness_bound`.

#include "dynfeed/sim/scenario.hpp"

#include <string>
#include <utility>
#include <vector>

namespace dynfeed::sim {

/// How long a reader may take to catch up once faults stop. Justified in docs/reliability.md:
/// a reader cut off by a partition meets peers again through discovery's next lookup (at most
/// 60 s apart in generated scenarios) or a swarm's retry with backoff, then needs a handshake
/// and a few round trips per batch of blocks.
inline constexpr clock_time liveness_bound = std::chrono::seconds{120};

/// One generated configuration.
struct campaign_case {
  uint64_t seed = 0;
  std::string json;        ///< the scenario, as `dynfeed sim FILE` reads it
  std::string description; ///< one short line: mode, channel, discovery, sizes, faults
  /// Each option the generator decided and the value it picked (numbers as a band: "low" or
  /// "high" half of their range), in a fixed order: for counting coverage over many seeds.
  std::vector<std::pair<std::string, std::string>> choices;
};

/// The configuration of `seed`: a pure function of it, the same on every machine.
campaign_case generate_case(uint64_t seed);

/// What running one case gave.
struct campaign_result {
  uint64_t seed = 0;
  bool passed = false;
  std::string violation;   ///< why it failed (an invariant, liveness, or a refused scenario)
  uint64_t digest = 0;
  double virtual_s = 0;    ///< virtual time run (to the end, or to the violation)
  double wall_s = 0;
};

/// Runs a case through the simulator (the plain driver), exactly as `dynfeed sim` would run
/// its JSON with its seed.
campaign_result run_case(const campaign_case& c);

} // namespace dynfeed::sim
