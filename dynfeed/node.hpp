#pragma once

/// A dynfeed node inside your own caf::actor_system: it opens, creates and clones feeds,
/// holds value feeds, joins swarms, listens, connects and runs discovery. Each feed, value
/// feed, peer and swarm is an actor of its own; the node hands back typed handles.
///
///     caf::actor_system sys{cfg};   // cfg.load<caf::io::middleman>() for TCP
///     auto node = dynfeed::spawn_node(sys, dynfeed::node_config{});
///     auto feed = dynfeed::ask<dynfeed::feed_actor>(sys, node, timeout,
///                                                   dynfeed::atoms::create_feed::value, dir,
///                                                   dynfeed::key_seed{});
///
/// docs/embedding.md documents every message; examples/ has complete programs.

#include <dynfeed/atoms.hpp>
#include <dynfeed/core/feed_options.hpp>
#include <dynfeed/discovery.hpp>
#include <dynfeed/feed.hpp>
#include <dynfeed/replication/config.hpp>
#include <dynfeed/storage/rocks_options.hpp>
#include <dynfeed/types.hpp>
#include <dynfeed/value.hpp>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace dynfeed {

/// Nodes of one actor system that reach each other in-process, by name: a connection to
/// "mem:NAME" links to the node registered as NAME (tests, single-process simulations, demos).
class memory_network {
public:
  void add(const std::string& name, caf::actor node);
  caf::actor find(const std::string& name) const;

private:
  mutable std::mutex mutex_;
  std::map<std::string, caf::actor> nodes_;
};

/// How a node reaches "host:port" addresses: make_tcp_transport() (<dynfeed/tcp.hpp>).
class transport;

struct node_config {
  /// Seeds the components' random streams; 0 takes one from the operating system.
  uint64_t seed = 0;
  feed_service_config feed;
  peer_config peer;
  feed_options feeds;
  rocks_options store;
  /// The node's identity for the encrypted transport: an X25519 seed (random if all zero).
  key_seed identity_seed;
  /// Reaches "host:port" addresses; without it only "mem:" links work.
  std::shared_ptr<transport> network;
  /// In-process links: the network this node joins, and its name there ("mem:NAME").
  std::shared_ptr<memory_network> memory;
  std::string memory_name;
  /// Delay of every frame over in-process links.
  caf::timespan memory_latency{0};
  /// The dht ID channel: how often a reader polls the DHT for a new feed ID, and the jitter
  /// (each wait is the interval +- up to it); docs/protocol.md gives the defaults' source.
  caf::timespan id_poll_interval = std::chrono::seconds{60};
  caf::timespan id_poll_jitter = std::chrono::seconds{15};
  /// Make before break: how long, at most, a feed keeps the ID swarm it leaves until the new
  /// one has a peer (node_core_config::id_overlap; zero: leave at once).
  caf::timespan id_overlap{0};
  /// A rotating feed's value swarm: discovered peers kept connected (0: as many as every
  /// swarm, 8; node_core_config::value_outbound_wanted).
  size_t value_peers_wanted = 0;
  /// Where log lines go (why connections ended, ...); called from any actor's thread.
  std::function<void(const std::string&)> log;
};

/// What a node counts, cheaply, since it started: the answer to (stats).
struct node_stats {
  /// Connections that ended, by why (the reason's identifier: "setup_backlog",
  /// "transport_error", ...; "unknown" for codes past the known ones). Both ends of a
  /// connection count its end with the reason its peer heard. Reasons that never happened are
  /// left out.
  std::map<std::string, uint64_t> disconnects;
  uint64_t peers = 0;       ///< connections open now
  uint64_t feeds = 0;       ///< feeds the node runs (create_feed, open_feed, clone_feed)
  uint64_t value_feeds = 0; ///< value feeds the node runs
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_stats& x) {
  return f(caf::meta::type_name("node_stats"), x.disconnects, x.peers, x.feeds, x.value_feeds);
}

/// The node. Every failure is a caf::error of a dynfeed category (<dynfeed/errors.hpp>).
/// - (create_feed, std::string dir, key_seed seed) -> feed_actor: a new writable feed in dir,
///   its key pair derived from seed (all zero: a random key pair)
/// - (open_feed, std::string dir) -> feed_actor: an existing feed directory
/// - (clone_feed, public_key, std::string dir) -> feed_actor: a reader of that feed (dir is
///   created if it holds nothing; a dir holding another feed is store_errc::already_exists)
/// - (join, feed_actor, std::vector<peer_address>, feed_mode) -> bool: shares the feed in its
///   swarm, with those peers (and, once discover ran, the peers discovery finds)
/// - (join, feed_actor, std::vector<peer_address>, feed_mode, id_channels) -> bool: the same,
///   and in a rotating mode its readers learn new IDs through these channels (the other form
///   takes the default, the value swarm; docs/protocol.md)
/// - (open_values, std::string dir) -> public_key: a value-feed writer's directory (dynfeed
///   value create): its key signs put_value on every value feed of that key
/// - (value_feed, public_key, bytes salt) -> value_actor: the value feed of that key and salt
///   (persisted if the node opened that key's directory, in memory otherwise)
/// - (value_feed, value_feed_spec) -> value_actor: any value feed (M of N keys, own limits and
///   rules); persisted and signed through the directory of any listed key the node opened. For
///   a feed the node already holds, the spec's limits and rules replace the old ones.
/// - (join_value, value_actor, std::vector<peer_address>) -> bool: exchanges the value feed
///   with those peers (and with those discovery finds)
/// - (listen, peer_address) -> peer_address: accepts TCP connections there (port 0: any free
///   port); returns the address bound
/// - (discover, discovery_config) -> uint16_t: starts the node's discovery (once); returns the
///   port its socket is bound to. Swarms joined from then on find peers through it and, once
///   the node listens, announce the port it listens on; so do the value feeds of the value
///   directories the node opened.
/// - (discovery) -> caf::actor: the actor of the discovery component `discover` started
///   (base_errc::invalid_argument before); (run, datagram_task) runs a task in it, with the
///   component (dht or tracker_client) and its context: how a tool calls the DHT's own API
///   (a BEP 44 get, the routing table) through the node's DHT node
/// - (stats) -> node_stats: what the node counted so far (connections ended, by reason)
/// - (shutdown): stops every actor of the node; the node actor ends once all of them did
///   (every store is closed then)
using node_actor = caf::typed_actor<
  caf::replies_to<atoms::create_feed, std::string, key_seed>::with<feed_actor>,
  caf::replies_to<atoms::open_feed, std::string>::with<feed_actor>,
  caf::replies_to<atoms::clone_feed, public_key, std::string>::with<feed_actor>,
  caf::replies_to<atoms::join, feed_actor, std::vector<peer_address>, feed_mode>::with<bool>,
  caf::replies_to<atoms::join, feed_actor, std::vector<peer_address>, feed_mode,
                  id_channels>::with<bool>,
  caf::replies_to<atoms::open_values, std::string>::with<public_key>,
  caf::replies_to<atoms::value_feed, public_key, bytes>::with<value_actor>,
  caf::replies_to<atoms::value_feed, value_feed_spec>::with<value_actor>,
  caf::replies_to<atoms::join_value, value_actor, std::vector<peer_address>>::with<bool>,
  caf::replies_to<atoms::listen, peer_address>::with<peer_address>,
  caf::replies_to<atoms::discover, discovery_config>::with<uint16_t>,
  caf::replies_to<atoms::discovery>::with<caf::actor>,
  caf::replies_to<atoms::stats>::with<node_stats>,
  caf::reacts_to<atoms::shutdown>>;

/// Spawns a node in `sys`. TCP needs the I/O middleman loaded (cfg.load<caf::io::middleman>());
/// without it the node still replicates over in-process links (memory_network, "mem:NAME").
node_actor spawn_node(caf::actor_system& sys, const node_config& config);

} // namespace dynfeed
