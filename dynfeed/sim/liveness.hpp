#pragma once

/// Liveness once faults stop (scenario::liveness): every reader running at the end of a run
/// must have held the writer's latest length since max(from, its latest start) + bound, when
/// that deadline falls within the run. Unlike the convergence check, it is not waived when a
/// partition is still in force: the scenario promised that faults stop at `from`, and a reader
/// left cut off is a reader that did not catch up.

#include "dynfeed/sim/scenario.hpp"

#include <optional>
#include <string>
#include <vector>

namespace dynfeed::sim {

/// Where one reader stands at the end of a run.
struct reader_progress {
  uint32_t index = 0;
  bool running = false;
  clock_time started{0};    ///< its latest start
  uint64_t held = 0;        ///< blocks [0, held) held
  clock_time held_since{0}; ///< when `held` last grew
};

/// The first reader that broke the promise, described; nullopt when every reader kept it.
/// `latest` is the writer's length, `end` the run's last instant.
std::optional<std::string> check_liveness(const liveness_spec& spec,
                                          const std::vector<reader_progress>& readers,
                                          uint64_t latest, clock_time end);

} // namespace dynfeed::sim
