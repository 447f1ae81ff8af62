#pragma once

/// What a simulation needs from whatever runs its components: hosts on a simulated network,
/// components on hosts, links and datagram sockets between them, scenario actions at given
/// times, and a clock. Two drivers implement it with the same scheduling, so a scenario gives
/// the same trace digest on either: the plain runtime (sim/runtime.hpp: no CAF, for scale) and
/// the CAF driver (sim/caf_driver.hpp: the node's real component actors on CAF's test
/// coordinator, for fidelity).

#include "dynfeed/component/connection.hpp"
#include "dynfeed/component/datagram.hpp"
#include "dynfeed/sim/network.hpp"

#include <functional>
#include <memory>
#include <utility>

namespace dynfeed::sim {

/// Counters of what a driver moved, for reports and benchmarks.
struct runtime_stats {
  uint64_t messages = 0;           ///< handled by components (frames, timers, remote frames, ...)
  uint64_t frames = 0;             ///< of those, Cap'n Proto frames: from links, sockets and
                                   ///< other components of the node
  uint64_t link_frames = 0;        ///< frames delivered over links
  uint64_t link_bytes = 0;
  uint64_t datagrams = 0;          ///< datagrams delivered
  uint64_t datagram_bytes = 0;
  uint64_t datagrams_lost = 0;     ///< lost, partitioned, or sent to nobody
  uint64_t datagrams_filtered = 0; ///< unsolicited, to a host behind NAT (not counted as lost)
  uint64_t links_broken = 0;       ///< by partitions and crashes
  uint64_t timers = 0;             ///< timers fired (a timer cancelled in time never fires)
};

using peer_factory = std::function<std::unique_ptr<connected_component>(connection&)>;
using socket_factory = std::function<std::unique_ptr<datagram_component>(datagram_socket&)>;

class driver {
public:
  virtual ~driver() = default;

  // ---- hosts ---------------------------------------------------------------------------------
  virtual host_id add_host(const host_config& config) = 0;
  virtual sim::network& net() noexcept = 0;
  virtual bool alive(host_id host) const = 0;
  /// Stops every component of `host` at once, without on_stop: its links break (the far ends
  /// learn of it after a one-way latency), its sockets close, its mail and timers vanish.
  virtual void crash(host_id host) = 0;
  /// Lets a crashed host run components again (the caller spawns them, from stored state).
  virtual void restart(host_id host) = 0;

  // ---- components ----------------------------------------------------------------------------
  /// Adds a component on `host`; it starts (on_start) with its first message.
  virtual component_id spawn(std::unique_ptr<component> comp, host_id host) = 0;
  /// Stops a component as a node stops one it no longer needs: on_stop, then it is gone.
  virtual void stop(component_id id) = 0;
  /// Links components of two hosts: both ends' peers, made by the factories.
  virtual std::pair<component_id, component_id> connect(host_id a, host_id b, const node_key& node_a,
                                                        const node_key& node_b,
                                                        const peer_factory& make_a,
                                                        const peer_factory& make_b) = 0;
  /// Binds a datagram socket on `host` at `port` and spawns the component that owns it.
  virtual component_id open_datagram(host_id host, uint16_t port, const socket_factory& make) = 0;
  /// Calls `fn` with a component and its context at once, between turns.
  virtual void with(component_id id, const std::function<void(component&, context&)>& fn) = 0;
  virtual component* find(component_id id) = 0;
  /// Puts a frame in `to`'s mailbox from nobody.
  virtual void post_frame(component_id to, bytes frame) = 0;
  /// Runs `action` at virtual time `t` (after the timers of that instant, in the order the
  /// actions were scheduled among the network deliveries of that instant).
  virtual void at(clock_time t, std::function<void()> action) = 0;
  /// Called whenever a component ends (it stopped, or its host crashed), with its host.
  virtual void on_removed(std::function<void(component_id, host_id)> hook) = 0;

  // ---- running -------------------------------------------------------------------------------
  virtual void run_until(clock_time t) = 0;
  virtual clock_time now() const noexcept = 0;
  virtual uint64_t digest() const noexcept = 0;
  virtual uint64_t events() const noexcept = 0;
  virtual const runtime_stats& stats() const noexcept = 0;
};

} // namespace dynfeed::sim
