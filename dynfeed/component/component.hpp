#pragma once

/// The shape every dynfeed component (feed service, peer, swarm, publisher, discovery) has: a
/// plain class that reacts to frames and timers and reaches the world only through a context.
/// No CAF, no sockets, no clocks: the node wraps each component in a CAF actor, and the
/// simulator runs the very same classes under CAF's test coordinator or a plain
/// single-threaded driver (../shared/STYLE.md, ../shared/reference/sim-poc/NOTES.md).

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/base/random.hpp"
#include "dynfeed/component/types.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace dynfeed {

/// Everything a component may do besides computing.
class context {
public:
  virtual ~context() = default;

  virtual component_id self() const = 0;
  /// Sends a frame (an encoded message) to another component of the same node. Frames between
  /// two components arrive in the order sent, and never before the current handler returns.
  virtual void send(component_id to, bytes frame) = 0;
  /// The frame being handled (the span the handler was given), as bytes to send on: a host
  /// that can give up its buffer hands it over instead of a copy. `frame` must not be read
  /// after this.
  virtual bytes take_frame(byte_span frame) { return frame.to_bytes(); }
  virtual clock_time now() const = 0;
  /// Calls on_timer(tag) after `delay`, unless cancelled first.
  virtual timer_id start_timer(clock_time delay, uint64_t tag) = 0;
  virtual void cancel_timer(timer_id id) = 0;
  /// This component's random stream: seeded, so a simulation replays exactly.
  virtual rng& random() = 0;
  /// A line for the operator's log (why a connection ended, ...); drivers may drop it.
  virtual void log(const std::string& /*line*/) {}
};

class component {
public:
  virtual ~component() = default;

  virtual void on_start(context&) {}
  /// A frame from another component of the same node.
  virtual void on_message(context& ctx, component_id from, byte_span frame) = 0;
  virtual void on_timer(context&, uint64_t /*tag*/) {}
  /// The component is being removed (node shutdown, or it asked to stop).
  virtual void on_stop(context&) {}
  /// False once the component wants to be removed; drivers check after every call.
  virtual bool alive() const { return true; }
};

} // namespace dynfeed
