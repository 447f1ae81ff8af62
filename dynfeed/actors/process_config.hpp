#pragma once

/// The CAF set-up of a process that runs dynfeed's actors until it is stopped: the command
/// line's node, DHT node and tracker, and a service embedding dynfeed alike.

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>

namespace dynfeed {

/// An actor_system_config with the work-sharing scheduler and CAF's own log off. Idle workers of
/// the sharing scheduler wait on a condition variable; the default work-stealing ones poll,
/// taking CPU from the work that matters (and from the other processes) on a small machine.
/// dynfeed logs through node_config::log instead. Add CAF's I/O layer for TCP
/// (tcp_process_config does).
class process_config : public caf::actor_system_config {
public:
  process_config() {
    set("scheduler.policy", caf::atom("sharing"));
    set("logger.file-verbosity", caf::atom("quiet"));
    set("logger.console-verbosity", caf::atom("quiet"));
  }
};

} // namespace dynfeed
