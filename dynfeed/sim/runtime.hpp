#pragma once

/// The plain driver: runs the components of any number of simulated hosts on one thread, in
/// virtual time, with no CAF. Its scheduling is the one CAF's test coordinator gives the same
/// components hosted in actors (actors/component_actor.hpp), so both drivers run a scenario the
/// same way:
///
/// - Each component has a mailbox. A frame sent to a component with an empty mailbox queues it
///   at the back of the ready list; a component that still has mail after handling one message
///   goes back to the front (it drains its mailbox before anyone else runs).
/// - Timers and network deliveries wait in a timed queue ordered by (time, class, sequence):
///   at one instant, every timer due fires into its mailbox first and the ready list runs; then
///   each network delivery, one at a time, followed by running the ready list.
///
/// Hosts have an IPv4 address and live on the simulated network (sim/network.hpp): links
/// between components of two hosts and datagrams between their sockets take the time the
/// network model gives them. A host can crash (its components vanish without a word, its links
/// break) and start again. Every network delivery and timer is folded into a trace digest: the
/// same seed and inputs give the same digest.

#include "dynfeed/base/flat_map.hpp"
#include "dynfeed/base/int_map.hpp"
#include "dynfeed/component/component.hpp"
#include "dynfeed/component/connection.hpp"
#include "dynfeed/component/datagram.hpp"
#include "dynfeed/sim/driver.hpp"
#include "dynfeed/sim/event_queue.hpp"
#include "dynfeed/sim/key_table.hpp"
#include "dynfeed/sim/network.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace dynfeed::sim {

class runtime;
class executor;

/// Not on the network: components spawned without a host (tests), and links with a fixed
/// latency between them.
inline constexpr host_id no_host = ~host_id{0};

/// One end of a simulated connection between two peer components. Both ends of a link are
/// allocated together, side by side (each finds the other next to it), and freed when both are
/// released (their components removed, or the runtime destroyed). An end names the identity
/// of its side by its index in the runtime's key table, and the handshake hash, the same on
/// both ends, is computed when asked for: 48 bytes an end, where an end with its share of the
/// two keys and the hash took 96.
class link_end final : public connection {
public:
  void transmit(bytes frame) override;
  void close(msg::disconnect_reason why) override;
  const node_key& remote() const override;
  /// 32 bytes, bound to both identities (Noise's would be 64: any length keys a capability).
  /// Made when asked (or found among the last made): valid until the next call on any link of
  /// the runtime (the peer reads it at once, to check or make a capability).
  byte_span handshake_hash() const override;
  bool initiator() const override { return side_ == 0; }

private:
  friend class runtime;
  link_end& other() const noexcept;
  runtime* rt_ = nullptr;
  component_id self_ = no_component;
  clock_time last_arrival_{0}; ///< frames of a stream arrive in order
  host_id host_ = no_host;
  uint32_t key_ = 0; ///< this side's identity in the runtime's key table
  uint8_t side_ = 0; ///< 0 on the side that opened the link
  bool closed_ = false;
  bool released_ = false; ///< its component is gone: the pair goes with the other end
};

class runtime final : public driver {
public:
  enum class kind : uint8_t { start, frame, remote, timer, disconnect, datagram, stop, action };
  /// One message for a component.
  struct mail {
    kind what;
    component_id from;
    uint64_t tag; ///< timer id, disconnect reason, or the sender's packed endpoint
    bytes frame;
  };

  /// Without an executor the runtime runs the components itself (the plain driver); with one,
  /// the executor does (sim/caf_driver.hpp: CAF actors on the test coordinator).
  explicit runtime(uint64_t seed, network_config net = {}, std::unique_ptr<executor> exec = nullptr);
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  // ---- hosts ---------------------------------------------------------------------------------

  host_id add_host(const host_config& config) override;
  sim::network& net() noexcept override { return net_; }
  bool alive(host_id host) const override { return hosts_.at(host).alive; }
  void crash(host_id host) override;
  void restart(host_id host) override;

  // ---- components ----------------------------------------------------------------------------

  /// Adds a component (on `host`, or on none); it starts (on_start) as its first message.
  component_id spawn(std::unique_ptr<component> comp, host_id host = no_host) override;
  void stop(component_id id) override;
  /// Creates both ends of a link between two nodes; the factories make the peer component of
  /// each end given its connection. Frames take `latency` each way.
  std::pair<component_id, component_id> connect(
    const node_key& a, const node_key& b, clock_time latency,
    const std::function<std::unique_ptr<connected_component>(connection&)>& make_a,
    const std::function<std::unique_ptr<connected_component>(connection&)>& make_b);
  /// The same between components of two hosts: frames take what the network model says, and
  /// the link breaks when a partition separates the hosts or one of them crashes.
  std::pair<component_id, component_id> connect(host_id a, host_id b, const node_key& node_a,
                                                const node_key& node_b, const peer_factory& make_a,
                                                const peer_factory& make_b) override;
  component_id open_datagram(host_id host, uint16_t port, const socket_factory& make) override;
  void with(component_id id, const std::function<void(component&, context&)>& fn) override;
  component* find(component_id id) override;
  void post_frame(component_id to, bytes frame) override;
  void at(clock_time t, std::function<void()> action) override;
  void on_removed(std::function<void(component_id, host_id)> hook) override { removed_hook_ = std::move(hook); }

  // ---- running -------------------------------------------------------------------------------

  /// Runs the ready components until none is left, or else the next instant of the timed queue;
  /// false when there is nothing at all to do.
  bool step();
  /// Runs everything due up to `t` and moves the clock to `t`.
  void run_until(clock_time t) override;
  /// Runs until nothing is left, or `events_max` steps ran (then returns false).
  bool run_until_idle(uint64_t events_max = 100000000);

  clock_time now() const noexcept override { return now_; }
  uint64_t events() const noexcept override { return events_; }
  uint64_t digest() const noexcept override { return digest_; }
  uint64_t seed() const noexcept { return seed_; }
  const runtime_stats& stats() const noexcept override { return stats_; }
  size_t component_count() const noexcept { return live_; }

  // ---- for executors: they run the components, the runtime keeps the books -----------------

  /// Before component `id` handles a mail of kind `what`: false when it is gone (the mail is
  /// dropped). Counts the mail; a disconnect closes the component's link end, a stop marks it
  /// stopped (its executor then calls on_stop).
  bool admit(component_id id, kind what);
  /// After component `id` handled a mail: removes it if it stopped or ended; false then.
  bool settle(component_id id);
  /// Component `id` ended on its executor's side: removes it if it is still here.
  void ended(component_id id);
  /// The context component `id` runs with: timers and frames go through the runtime.
  context& context_of(component_id id);
  /// The tag of component `id`'s timer `timer` if it is still wanted (once).
  std::optional<uint64_t> take_timer(component_id id, timer_id timer);

private:
  friend class link_end;
  friend class sim_socket;
  struct slot;
  /// Classes at one instant: timers fire before network deliveries.
  enum class order : uint8_t { timer = 0, network = 1 };
  /// A mail on its way: in the timed queue, then in its component's mailbox. Parcels live in
  /// one pool and move between the two by index, so a frame is never copied on the way.
  static constexpr uint32_t nil = ~uint32_t{0};
  struct parcel {
    mail m;
    uint32_t next = nil; ///< the next parcel of the same mailbox
  };
  /// An entry of the timed queue, small so that the heap moves little: a timer names its
  /// timer id, anything else the parcel it carries.
  struct timed {
    clock_time at;
    uint64_t key; ///< the order class in the top bit, then the sequence number
    component_id to;
    uint64_t aux; ///< timer id (timers) or parcel index
    order cls() const noexcept { return static_cast<order>(key >> 63); }
  };
  struct later {
    bool operator()(const timed& a, const timed& b) const noexcept {
      return a.at != b.at ? a.at > b.at : a.key > b.key;
    }
  };
  struct host_state {
    bool alive = true;
    std::vector<component_id> components;
    std::vector<uint16_t> ports;
  };

  /// Slots live in chunks of consecutive ids; a chunk whose ids were all given out and whose
  /// components are all gone is freed (ids are never reused), so the table follows the live
  /// components, not every component a long run ever spawned. Chunks are small (256 ids, 2 KB)
  /// because one long-lived component (a late reader's core) keeps its whole chunk.
  static constexpr unsigned slot_chunk_shift = 8;
  struct slot_chunk;
  slot* slot_of(component_id id) const noexcept;
  uint32_t make_parcel(mail&& m);
  mail take_parcel(uint32_t index);
  void schedule(clock_time at, component_id to, mail m);
  /// The handle of the timer's entry in the timed queue.
  uint32_t schedule_timer(clock_time at, component_id to, timer_id id);
  /// Takes timer `id` of component `to` out of the timed queue if its entry (handle
  /// `queued`) is still in its bucket.
  void drop_timer(component_id to, timer_id id, uint32_t queued);
  void deliver(component_id to, mail m);
  /// Puts parcel `index` in `to`'s mailbox (or drops it when `to` is gone).
  void deliver_parcel(component_id to, uint32_t index);
  void run_ready();
  bool has_ready() const;
  void handle(slot& s, mail& m);
  void handle_mail(slot& s, context& ctx, mail& m);
  /// After a component handled a mail: removes it if it ended; false then.
  bool settle(component_id id, slot& s);
  void remove(component_id id);
  void break_link(link_end& end, msg::disconnect_reason why, clock_time delay);
  /// The component of `end` is gone: frees the link's block once both ends are.
  void release(link_end* end) noexcept;
  /// The fixed latency of a link between hostless components.
  clock_time fixed_latency(const link_end& end) const;
  void send_datagram(host_id host, const endpoint& from, const endpoint& to, bytes datagram);
  void mix(uint64_t v) noexcept;

  uint64_t seed_;
  sim::network net_;
  rng net_random_;
  clock_time now_{0};
  uint64_t next_seq_ = 0;
  uint64_t events_ = 0;
  uint64_t digest_ = 0xcbf29ce484222325ULL;
  component_id next_id_ = 1;
  runtime_stats stats_;
  event_queue<timed, later> queue_;
  std::vector<parcel> parcels_;
  std::vector<uint32_t> free_parcels_;
  /// The identities links name, and the handshake hashes last made (link_end's), in a table
  /// of 1,024 by their two keys (40 KB; made on first use).
  key_table keys_;
  struct hash_entry {
    uint32_t keys[2] = {nil, nil};
    hash256 hash;
  };
  static constexpr size_t hash_cache_size = 1024;
  std::vector<hash_entry> hash_cache_;
  /// Links between hostless components (tests): their fixed latency, by the component of the
  /// side that opened them; links between hosts take the network's.
  flat_map<component_id, clock_time> fixed_latency_;
  /// The random streams of the components that drew one, by component (context::random).
  int_map<component_id, std::unique_ptr<rng>> randoms_;
  /// Declared after the tables above: slots going release their link ends into them.
  std::vector<std::unique_ptr<slot_chunk>> chunks_; ///< by component id >> slot_chunk_shift
  size_t live_ = 0;
  std::deque<component_id> ready_;
  std::vector<host_state> hosts_;
  /// A bound datagram socket: its component and host.
  struct bound_socket {
    component_id component = no_component;
    uint32_t host = 0;
  };
  /// Bound sockets by packed endpoint: every datagram looks its destination up here.
  int_map<uint64_t, bound_socket> sockets_;
  /// Actions waiting for their time, by index (a mail's tag); freed indices are reused.
  std::vector<std::function<void()>> actions_;
  std::vector<uint32_t> free_actions_;
  std::function<void(component_id, host_id)> removed_hook_;
  std::unique_ptr<executor> exec_;
  /// Datagram components' sockets, by component: a node has one or two, so the slots of all
  /// the other components (peers by the million) keep no pointer for one.
  flat_map<component_id, std::unique_ptr<datagram_socket>> socket_owners_;
  /// The context and mail of the handler running (the plain driver's), for take_frame: one
  /// pair for the runtime rather than a pointer in every component's slot.
  slot* current_ = nullptr;
  mail* current_mail_ = nullptr;
};

/// Runs a runtime's components somewhere else than its own ready list. The runtime tells it of
/// each component spawned and removed, posts each mail, and asks it to run whatever is ready;
/// it handles each mail between runtime::admit and runtime::settle, in the order of its
/// choosing, with the component's context_of. A component the runtime removed is gone for
/// good: admit refuses every later mail.
class executor {
public:
  virtual ~executor() = default;
  virtual void attach(runtime& rt) = 0;
  virtual void spawned(component_id id) = 0;
  virtual void removed(component_id id) = 0;
  virtual void post(component_id id, runtime::mail m) = 0;
  /// Runs until nothing is ready.
  virtual void run() = 0;
  virtual bool idle() const = 0;
};

} // namespace dynfeed::sim
