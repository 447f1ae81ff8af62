#pragma once

/// The few names that components and their settings share: light enough for config headers.

#include <chrono>
#include <cstdint>

namespace dynfeed {

/// Names a component within a driver (a process or a simulation). 0 names nobody.
using component_id = uint64_t;
inline constexpr component_id no_component = 0;

/// Time since an arbitrary epoch: the wall clock in a node, virtual time in a simulation.
using clock_time = std::chrono::nanoseconds;

using timer_id = uint64_t;

} // namespace dynfeed
