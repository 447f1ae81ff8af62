#pragma once

/// Embedding dynfeed: a node runs inside your own caf::actor_system and hands back typed actor
/// handles. Each feed, peer and swarm is an actor of its own; they exchange Cap'n Proto frames.
///
///     caf::actor_system sys{cfg};              // cfg.load<caf::io::middleman>() for TCP
///     auto node = dynfeed::spawn_node(sys, dynfeed::node_config{});
///     caf::scoped_actor self{sys};
///     self->request(node, caf::infinite, dynfeed::atoms::create_feed::value, dir, "")
///       .receive([&](dynfeed::feed_actor feed) { ... }, [&](caf::error& e) { ... });
///
/// See examples/embed.cpp for a complete program and README.md for every message.

#include "dynfeed/actors/atoms.hpp"
#include "dynfeed/actors/inspect.hpp"
#include "dynfeed/core/feed.hpp"
#include "dynfeed/crypto/noise.hpp"
#include "dynfeed/discovery/dht.hpp"
#include "dynfeed/replication/feed_service.hpp"
#include "dynfeed/replication/peer.hpp"
#include "dynfeed/discovery/tracker.hpp"
#include "dynfeed/storage/rocks_store.hpp"

#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/typed_actor.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace dynfeed {

/// A feed's state, as `info` returns it.
struct feed_info {
  public_key key;
  hash256 discovery_key;
  hash256 id; ///< the tree hash: changes on every append
  uint64_t length = 0;
  uint64_t byte_length = 0;
  uint64_t fork = 0;
  uint64_t held = 0; ///< blocks stored locally
  uint64_t peers = 0;
  bool writable = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, feed_info& x) {
  return f(caf::meta::type_name("feed_info"), x.key, x.discovery_key, x.id, x.length,
           x.byte_length, x.fork, x.held, x.peers, x.writable);
}

/// "No end": download everything the first peer has (or, with live, follow forever).
inline constexpr uint64_t download_to_end = ~uint64_t{0};

/// A feed. Subscribers receive (length, uint64_t length), (blocks, uint64_t first, uint64_t
/// count), (done) when a download finishes, and (peers, uint64_t count).
using feed_actor = caf::typed_actor<
  caf::replies_to<atoms::append, std::vector<bytes>>::with<uint64_t>,
  caf::replies_to<atoms::get, uint64_t>::with<bytes>,
  caf::replies_to<atoms::info>::with<feed_info>,
  caf::reacts_to<atoms::download, uint64_t, uint64_t, bool>,
  caf::reacts_to<atoms::subscribe, caf::actor>>;

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

/// How a node reaches other nodes by address ("host:port"): TCP with Noise in net/tcp.hpp.
/// Results come back to the node as (connected, ...) or (disconnected, ...) messages.
class transport {
public:
  virtual ~transport() = default;
  virtual caf::expected<uint16_t> listen(caf::actor_system& sys, caf::actor node,
                                         const noise_keypair& identity, const std::string& host,
                                         uint16_t port) = 0;
  /// Dials `address`; the node hears (connected, transport, remote, handshake_hash, initiator,
  /// address) -> peer actor once the handshake completes, or (disconnected, address, reason).
  virtual void connect(caf::actor_system& sys, caf::actor node, const noise_keypair& identity,
                       const std::string& address) = 0;
  /// Stops accepting: the node is shutting down. Open connections end with their peers.
  virtual void shutdown() = 0;
};

/// How a node holds one value feed: who may sign it, and the rules beyond dynfeed's own.
struct value_feed_spec {
  /// One key (single_key_feed) or M of N keys; the salt names one of the keys' feeds.
  value_feed_def def;
  value_limits limits;
  /// The user's rule, run in the value feed's actor on every value (the node's own too).
  validate_fn validate;
  /// An actor that judges every value from a peer once it passed every other rule: it
  /// receives (validate, uint64_t seq, bytes value, uint64_t held_seq, bytes held_value)
  /// (held_seq 0: nothing held) and answers true to accept; false, an error or no answer
  /// within validator_timeout rejects. At most 64 values wait for it at once.
  caf::actor validator;
  caf::timespan validator_timeout = std::chrono::seconds{10};
};

/// How a node finds the peers of its swarms (docs/discovery.md): a DHT node or a tracker
/// client on a datagram socket of its own. Sent with `discover`.
struct discovery_config {
  enum class backend : uint8_t { dht, tracker };
  backend kind = backend::dht;
  /// Opens the socket: make_udp_transport() (net/udp_socket.hpp) for UDP.
  std::shared_ptr<datagram_transport> datagrams;
  /// Where the socket binds (ip 0: every interface; port 0: any). Announces carry the
  /// address datagrams leave from, so it should be the interface the node listens on.
  endpoint local;
  /// The DHT's settings; `dht.bootstrap` lists the nodes to join through.
  dht_config dht;
  /// The tracker client's settings; `tracker.trackers` lists the trackers (at least one).
  tracker_client_config tracker;
};

/// A value feed's state, as `info` returns it.
struct value_feed_info {
  hash256 id;    ///< the hash of the definition
  hash256 topic; ///< its swarm's topic
  uint64_t seq = 0;
  bytes value;
  uint64_t peers = 0;
  uint64_t accepted = 0; ///< values accepted since the node started
  uint64_t relayed = 0;  ///< pushes of accepted values to other peers
  /// Refused offers, kept with the value: in total and by reason (value_errc code).
  uint64_t rejected = 0;
  std::map<uint8_t, uint64_t> rejected_by;
  bool equivocation = false; ///< proof of two values with one seq is held
  bool writable = false;     ///< the node holds a key of the feed
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, value_feed_info& x) {
  return f(caf::meta::type_name("value_feed_info"), x.id, x.topic, x.seq, x.value, x.peers,
           x.accepted, x.relayed, x.rejected, x.rejected_by, x.equivocation, x.writable);
}

/// A value feed in a node. Subscribers receive (value, uint64_t seq, bytes value) for every
/// value it accepts (and the current one at once), and (equivocation, signed_value held,
/// signed_value other) when the feed's signers are caught signing two values with one seq.
/// - (put_value, bytes) -> uint64_t: signs and publishes the next value (the node must hold a
///   key of the feed: see open_values); for an M-of-N feed with M > 1, use offer_value
/// - (offer_value, signed_value) -> uint64_t: publishes a value signed elsewhere (by M of the
///   N keys); every rule applies but the validator actor's
/// - (get_value) -> (uint64_t seq, bytes value): the latest (seq 0 if none yet)
/// - (info) -> value_feed_info
/// - (subscribe, caf::actor)
using value_actor = caf::typed_actor<caf::replies_to<atoms::put_value, bytes>::with<uint64_t>,
                                     caf::replies_to<atoms::offer_value, signed_value>::with<uint64_t>,
                                     caf::replies_to<atoms::get_value>::with<uint64_t, bytes>,
                                     caf::replies_to<atoms::info>::with<value_feed_info>,
                                     caf::reacts_to<atoms::subscribe, caf::actor>>;

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
  /// Where log lines go (why connections ended, ...); called from any actor's thread.
  std::function<void(const std::string&)> log;
};

/// The node: opens, creates and clones feeds, joins swarms, listens and connects.
/// - (create_feed, dir, seed_hex) -> feed_actor: a new writable feed in dir ("" seed: random)
/// - (open_feed, dir) -> feed_actor: an existing feed directory
/// - (clone_feed, public_key_hex, dir) -> feed_actor: a reader (created if dir is empty)
/// - (join, feed_actor, addresses, mode) -> bool: shares the feed in mode "stable",
///   "rotating" or "rotating-roots" (see feed/dynamic.hpp), with peers at "host:port"s
/// - (open_values, dir) -> std::string: a value-feed writer's directory (dynfeed value create):
///   its key signs put_value on every value feed of that key; returns the public key (hex)
/// - (value_feed, public_key_hex, salt) -> value_actor: the value feed of that key and salt
///   (persisted if the node opened that key's directory, in memory otherwise)
/// - (value_feed, value_feed_spec) -> value_actor: any value feed (M of N keys, own limits and
///   rules); persisted and signed through the directory of any listed key the node opened. For
///   a feed the node already holds, the spec's limits and rules replace the old ones.
/// - (join_value, value_actor, addresses) -> bool: exchanges the value feed with those peers
/// - (listen, host, port) -> uint16_t: accept connections; returns the bound port
/// - (discover, discovery_config) -> uint16_t: starts the node's discovery (once); returns the
///   port its socket is bound to. Swarms joined from then on find peers through it and, once
///   the node listens, announce the port it listens on; so do the value feeds of the value
///   directories the node opened.
/// - (shutdown): stops every actor of the node
using node_actor = caf::typed_actor<
  caf::replies_to<atoms::create_feed, std::string, std::string>::with<feed_actor>,
  caf::replies_to<atoms::open_feed, std::string>::with<feed_actor>,
  caf::replies_to<atoms::clone_feed, std::string, std::string>::with<feed_actor>,
  caf::replies_to<atoms::join, feed_actor, std::vector<std::string>, std::string>::with<bool>,
  caf::replies_to<atoms::open_values, std::string>::with<std::string>,
  caf::replies_to<atoms::value_feed, std::string, std::string>::with<value_actor>,
  caf::replies_to<atoms::value_feed, value_feed_spec>::with<value_actor>,
  caf::replies_to<atoms::join_value, value_actor, std::vector<std::string>>::with<bool>,
  caf::replies_to<atoms::listen, std::string, uint16_t>::with<uint16_t>,
  caf::replies_to<atoms::discover, discovery_config>::with<uint16_t>,
  caf::reacts_to<atoms::shutdown>>;

/// Spawns a node in `sys`. TCP needs the I/O middleman loaded (cfg.load<caf::io::middleman>());
/// without it the node still replicates over in-process links (memory_network, "mem:NAME").
node_actor spawn_node(caf::actor_system& sys, const node_config& config);

/// dynfeed errors as CAF errors: the category name as the atom, the message as context.
caf::error to_caf_error(const error& err);

} // namespace dynfeed

// Hold callbacks, actor handles and transports: only ever sent within one process.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dynfeed::value_feed_spec)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dynfeed::discovery_config)
