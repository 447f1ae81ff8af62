#pragma once

/// The plain driver: runs components of any number of simulated nodes on one thread, in
/// virtual time, with no CAF. Events (frames between components, frames over links, timers)
/// are ordered by (time, sequence number), so a run is a pure function of its seed and inputs.
/// Every delivery is folded into a trace digest: the same seed gives the same digest.

#include "proto/component.hpp"
#include "proto/connection.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace dynfeed::sim {

class runtime;

/// One end of an in-memory connection between two peer components.
class link_end final : public connection {
public:
  void transmit(bytes frame) override;
  void close(msg::disconnect_reason why) override;
  const node_id& remote() const override { return remote_; }
  byte_span handshake_hash() const override { return handshake_hash_; }
  bool initiator() const override { return initiator_; }

private:
  friend class runtime;
  runtime* rt_ = nullptr;
  component_id self_ = no_component;
  component_id other_ = no_component;
  node_id remote_;
  bytes handshake_hash_;
  bool initiator_ = false;
  bool closed_ = false;
  clock_time latency_{0};
};

class runtime {
public:
  explicit runtime(uint64_t seed);
  ~runtime();

  /// Adds a component; it starts (on_start) at the current virtual time.
  component_id spawn(std::unique_ptr<component> comp);
  /// Creates both ends of a link between nodes `a` and `b`; the factory makes the peer
  /// component for each end, given that end's connection. Returns the two peer ids.
  std::pair<component_id, component_id> connect(
    const node_id& a, const node_id& b, clock_time latency,
    const std::function<std::unique_ptr<connected_component>(connection&)>& make_a,
    const std::function<std::unique_ptr<connected_component>(connection&)>& make_b);

  /// Calls `fn` with `id`'s component and context, as if it were that component's turn
  /// (how a scenario issues commands such as append).
  void with(component_id id, const std::function<void(component&, context&)>& fn);
  component* find(component_id id);

  /// Runs one event; false when there is none.
  bool step();
  /// Runs every event due up to `t` and moves the clock to `t`.
  void run_until(clock_time t);
  /// Runs until no event is left, or `events_max` events ran (then returns false).
  bool run_until_idle(uint64_t events_max = 100000000);

  clock_time now() const noexcept { return now_; }
  uint64_t events() const noexcept { return events_; }
  uint64_t digest() const noexcept { return digest_; }
  uint64_t seed() const noexcept { return seed_; }

private:
  friend class link_end;
  struct slot;
  class slot_context;
  enum class kind : uint8_t { start, frame, remote, timer, disconnect };
  struct event {
    clock_time at;
    uint64_t seq;
    kind what;
    component_id to;
    component_id from;
    uint64_t tag; ///< timer id, or disconnect reason
    bytes frame;
  };
  struct later {
    bool operator()(const event& a, const event& b) const noexcept {
      return a.at != b.at ? a.at > b.at : a.seq > b.seq;
    }
  };

  void post(event e);
  void dispatch(event& e);
  void mix(uint64_t v) noexcept;

  uint64_t seed_;
  clock_time now_{0};
  uint64_t next_seq_ = 0;
  uint64_t events_ = 0;
  uint64_t digest_ = 0xcbf29ce484222325ULL;
  component_id next_id_ = 1;
  std::priority_queue<event, std::vector<event>, later> queue_;
  std::unordered_map<component_id, std::unique_ptr<slot>> slots_;
  std::vector<std::unique_ptr<link_end>> links_;
};

} // namespace dynfeed::sim
