#pragma once

/// The CAF driver: the simulator's runtime with every component in the node's own hosting actor
/// (actors/component_actor.hpp: its handlers, its exit handling, its end), run by CAF's
/// deterministic test coordinator (one thread, one message per turn, an actor with more mail
/// back at the front of the queue). The actor's context is the runtime's: frames, timers and
/// randomness go through the runtime's timed queue and seed, and the runtime admits, counts and
/// removes, so only the transport, the clock and the store are simulated. The network, the
/// timers and the scenario's actions stay in the runtime's timed queue, shipped into the
/// mailboxes at their instant (a queue of our own models loss, crashes and partitions, which
/// CAF's clock cannot). The plain runtime schedules components with the same discipline, so
/// both drivers give the same trace digest for the same seed: the tests check it.
///
/// No CAF header here: only caf_driver.cpp sees them.

#include "dynfeed/sim/runtime.hpp"

#include <memory>

namespace dynfeed::sim {

/// An executor that runs components as CAF actors on a test coordinator of its own.
std::unique_ptr<executor> make_caf_executor();

/// A runtime whose components run on CAF.
inline std::unique_ptr<runtime> make_caf_runtime(uint64_t seed, network_config net = {}) {
  return std::make_unique<runtime>(seed, std::move(net), make_caf_executor());
}

} // namespace dynfeed::sim
