#pragma once

/// A simulated node: the node's real components (node_core, feed service, swarms, publisher,
/// peers, a discovery component) on one simulated host, over an in-memory store that survives
/// a crash, and a world that connects nodes the way TCP with Noise would: a connection is up
/// after a handshake of a few one-way latencies, and fails after a timeout when nobody answers.

#include "dynfeed/core/feed.hpp"
#include "dynfeed/feed/dynamic.hpp"
#include "dynfeed/discovery/discovery.hpp"
#include "dynfeed/replication/feed_service.hpp"
#include "dynfeed/replication/node_core.hpp"
#include "dynfeed/replication/peer.hpp"
#include "dynfeed/replication/publisher.hpp"
#include "dynfeed/sim/driver.hpp"
#include "dynfeed/storage/memory_store.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

namespace dynfeed::sim {

/// Every simulated node accepts connections here (and runs its discovery socket on the next).
inline constexpr uint16_t peer_port = 7000;
inline constexpr uint16_t discovery_port = 6881;

class world;
class sim_node;

/// Makes a node's discovery component (none: static addresses only).
using discovery_factory =
  std::function<std::unique_ptr<discovery_component>(sim_node& node, datagram_socket& socket)>;

struct sim_node_config {
  feed_mode mode = feed_mode::stable;
  feed_service_config feed;
  peer_config peer;
  node_core_config core;
  discovery_factory discovery;
  /// Static peers (a star around the writer when there is no discovery).
  std::vector<std::string> addresses;
  /// How readers learn new IDs (rotating modes).
  id_channels id_channel;
};

/// What the simulation wants to hear from a node (metrics and invariants).
class node_observer {
public:
  virtual ~node_observer() = default;
  virtual void on_length(sim_node& /*node*/, uint64_t /*length*/) {}
  virtual void on_blocks(sim_node& /*node*/, uint64_t /*first*/, uint64_t /*count*/) {}
  virtual void on_peer(sim_node& /*node*/, bool /*up*/) {}
  virtual void on_value(sim_node& /*node*/, const signed_value& /*value*/) {}
  virtual void on_equivocation(sim_node& /*node*/, const equivocation_proof& /*proof*/) {}
};

class sim_node final : public node_host, private feed_service_observer, private publisher_observer {
public:
  /// A writer (with `writer_keys`) or a reader of the feed `feed_key`.
  /// Nodes alike share one config (a large simulation has hundreds of thousands).
  sim_node(world& w, host_id host, uint32_t index, const public_key& feed_key,
           std::optional<keypair> writer_keys, std::shared_ptr<const sim_node_config> config);
  ~sim_node() override;

  /// Starts the node's components: the feed from what the store holds, the core, discovery,
  /// and (for a reader) a live download; then shares the feed in the configured mode.
  void start();
  /// The host crashed: the components are gone, the store stays.
  void crashed();
  bool running() const noexcept { return running_; }
  /// Starts so far: tells a connection made for one lifetime from the next.
  uint64_t epoch() const noexcept { return epoch_; }

  /// The ID a reader was given with the key (a link), where relay starts it: used by every
  /// start while the reader holds no tree (then it starts from the tree it holds).
  void give_first_id(const hash256& feed_id) { first_id_ = feed_id; }

  /// Appends blocks as the writer (between turns); the new length.
  uint64_t append(const std::vector<bytes>& blocks);

  uint32_t index() const noexcept { return index_; }
  host_id host() const noexcept { return host_; }
  endpoint address() const;
  const node_key& id() const noexcept { return id_; }
  bool writer() const noexcept { return writer_keys_.has_value(); }
  const feed* data() const noexcept { return feed_.get(); }
  memory_store& store() noexcept { return store_; }
  component_id core_id() const noexcept { return core_; }
  component_id service_id() const noexcept { return service_; }
  component_id discovery_id() const noexcept { return discovery_; }
  component_id publisher_id() const noexcept { return publisher_; }
  /// The swarm topic this node's feed is in now: the discovery key (stable), or the ID swarm
  /// it moved to last (rotating modes); nullopt before it knows one.
  std::optional<hash256> swarm_topic() const;
  const feed_service* service() const;
  const discovery_component* discovery() const;
  uint64_t connected_peers() const noexcept { return peers_up_; }
  /// Its core's connections to a node it is connected to already (node_core::duplicate_count),
  /// whichever of its swarms (or the remote) dialled them.
  size_t duplicate_peers() const;

  // Value feeds, through the node core's policy as the node's API uses it.
  /// A writer's value keys, its feeds persisted in this node's store (as a value directory
  /// the node opens): serves the feeds of that key the store holds, signs the ones that list
  /// it, announces them once discovery runs. The node opens the keys again when it restarts.
  expected<value_keys_opened> open_values(const keypair& keys);
  /// The value feed `def` (started once per id): its publisher.
  expected<value_feed_entry> value_feed(const value_feed_def& def);
  /// The swarm of the value feed served by `publisher` starts again with `addresses`.
  bool join_value(component_id publisher, std::vector<std::string> addresses);

  // node_host
  component_id start_swarm(context& ctx, const swarm_config& config) override;
  component_id start_publisher(context& ctx, const publisher_start& start) override;
  void set_publisher_rules(context& ctx, component_id publisher,
                           const publisher_start& start) override;
  void stop(context& ctx, component_id id) override;
  void dial(context& ctx, const std::string& address) override;

private:
  friend class world;
  void on_length(uint64_t length) override;
  void on_blocks(uint64_t first, uint64_t count) override;
  void on_peer(component_id peer, bool up) override;
  void on_value(const signed_value& value) override;
  void on_equivocation(const equivocation_proof& proof) override;

  world& world_;
  host_id host_;
  uint32_t index_;
  node_key id_;
  public_key feed_key_;
  std::optional<keypair> writer_keys_;
  std::shared_ptr<const sim_node_config> config_;
  memory_store store_;
  std::unique_ptr<feed> feed_;
  bool running_ = false;
  uint64_t epoch_ = 0; ///< starts so far: what a dial or a timer belonged to
  component_id core_ = no_component;
  component_id service_ = no_component;
  component_id discovery_ = no_component;
  component_id publisher_ = no_component;
  uint64_t peers_up_ = 0;
  std::vector<keypair> value_keys_; ///< opened with open_values, again on every start
  std::optional<hash256> first_id_; ///< give_first_id
};

/// The simulated nodes of one driver, and how they reach each other.
class world {
public:
  struct config {
    /// Handshake time, in one-way latencies: TCP's, then Noise XX's three messages.
    uint32_t handshake_latencies = 5;
    /// A dial to nobody (a dead or partitioned host, a wrong address) fails after this.
    clock_time connect_timeout = std::chrono::seconds{3};
  };

  explicit world(driver& drv, config cfg);
  explicit world(driver& drv) : world(drv, config{}) {}
  ~world();

  driver& drv() noexcept { return drv_; }
  /// Adds a node on a new host with this address.
  sim_node& add_node(const host_config& host, const public_key& feed_key,
                     std::optional<keypair> writer_keys, std::shared_ptr<const sim_node_config> config);
  std::vector<std::unique_ptr<sim_node>>& nodes() noexcept { return nodes_; }
  sim_node* node_at(uint32_t ip) const;

  void set_observer(node_observer* observer) noexcept { observer_ = observer; }
  node_observer* observer() const noexcept { return observer_; }

  /// Crashes a node's host (components vanish, links break) / restarts it from its store.
  void crash(sim_node& node);
  void restart(sim_node& node);

  /// Dials on behalf of `from`'s core.
  void dial(sim_node& from, const std::string& address);
  /// A connection from a host of no node (a hostile one, sim/hostile.hpp) to `to`, up now: `to`
  /// runs its real peer and takes it as an inbound connection from `from_address`. The dialling
  /// side's component is made by `make_from`. Returns both component ids (`from`'s first).
  std::pair<component_id, component_id> accept(sim_node& to, host_id from, const node_key& from_id,
                                               const std::string& from_address,
                                               const peer_factory& make_from);
  /// Seeds the stream that hole punching draws from (only dials to NATed hosts draw).
  void seed_dials(uint64_t seed) { random_ = rng(seed); }
  /// Connections made so far: dialled directly, and through a punched hole.
  uint64_t dialled() const noexcept { return dialled_; }
  uint64_t punched() const noexcept { return punched_; }

private:
  void connect(sim_node& from, sim_node& to, const std::string& address, bool punched);
  void fail(sim_node& from, const std::string& address, clock_time delay);
  void on_removed(component_id id, host_id host);

  driver& drv_;
  config config_;
  std::vector<std::unique_ptr<sim_node>> nodes_;
  std::unordered_map<uint32_t, sim_node*> by_ip_;
  std::vector<sim_node*> by_host_; ///< a host's node (nullptr: a host of no node)
  node_observer* observer_ = nullptr;
  rng random_{0x686f6c6570756e63ULL};
  /// Every node stores the writer's blocks: one copy of each content for all of them.
  std::shared_ptr<block_pool> blocks_ = std::make_shared<block_pool>();
  uint64_t dialled_ = 0;
  uint64_t punched_ = 0;
};

} // namespace dynfeed::sim
