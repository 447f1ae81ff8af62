#include "dynfeed/actors/node.hpp"

#include "dynfeed/actors/datagram_host.hpp"
#include "dynfeed/actors/hosted.hpp"
#include "dynfeed/base/endpoint.hpp"
#include "dynfeed/base/hex.hpp"
#include "dynfeed/core/feed_dir.hpp"
#include "dynfeed/core/value_dir.hpp"
#include "dynfeed/discovery/dht.hpp"
#include "dynfeed/discovery/tracker.hpp"
#include "dynfeed/errors.hpp"
#include "dynfeed/feed/dynamic.hpp"
#include "dynfeed/messages/codec.hpp"
#include "dynfeed/replication/node_core.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <any>
#include <map>
#include <set>

namespace dynfeed {

// ---- the node actor ------------------------------------------------------------------------

namespace {

/// A feed the node opened.
struct feed_record {
  component_id id = no_component;
  public_key key;
  std::optional<secret_key> sk; ///< for a writer: signs its ID announcements
};

struct node_shared;

/// How the node's core starts components and dials: actors, TCP and in-process links.
class actor_host final : public node_host {
public:
  explicit actor_host(node_shared& node) : node_(node) {}
  component_id start_swarm(context& ctx, const swarm_config& config) override;
  component_id start_publisher(context& ctx, const publisher_start& start) override;
  void set_publisher_rules(context& ctx, component_id publisher,
                           const publisher_start& start) override;
  void stop(context& ctx, component_id id) override;
  void dial(context& ctx, const std::string& address) override;

private:
  node_shared& node_;
};

/// What the node actor keeps besides its core component.
struct node_shared {
  node_config config;
  noise_keypair identity;
  node_key self_id;
  std::shared_ptr<actor_directory> directory;
  actor_host host{*this};
  component_actor_type* self = nullptr;
  caf::actor self_handle;
  std::map<std::string, feed_actor> feeds_by_dir;
  std::map<caf::actor_addr, feed_record> feeds;
  std::map<caf::actor_addr, component_id> peers; ///< peer actors, to tell the core they ended
  /// The actors of the value feeds' publishers (which feeds run is the core's business).
  std::map<component_id, value_actor> publishers;
  /// The value directories opened: their keys sign, their stores persist (value_feeds).
  std::map<public_key, std::unique_ptr<value_dir>> value_dirs;
  std::vector<caf::actor> children;
  caf::actor discovery;     ///< the discovery component's actor, once `discover` started it
  uint16_t listen_port = 0; ///< what announces carry: the port `listen` bound last
  bool stopping = false;

  node_core& core() { return static_cast<node_core&>(*self->state.comp); }
  context& ctx() { return *self->state.ctx; }
};

/// Every actor the node starts is its child: monitored, so that shutdown can wait for them.
void adopt(node_shared& node, const caf::actor& child) {
  node.self->monitor(child);
  node.children.push_back(child);
}

component_id actor_host::start_swarm(context&, const swarm_config& config) {
  caf::actor handle;
  component_id id = spawn_component(node_.self->system(), node_.directory,
                                    std::make_unique<swarm>(config), nullptr, &handle);
  adopt(node_, handle);
  return id;
}

/// The rules in the node's own terms: the value_feed_spec the API handed over (with the
/// validator actor), or one made of the plain rules (an announcement feed, a stored feed).
value_feed_spec rules_of(const publisher_start& start) {
  if (const auto* spec = std::any_cast<value_feed_spec>(&start.host_rules))
    return *spec;
  value_feed_spec spec;
  spec.def = start.def;
  spec.limits = start.config.limits;
  spec.validate = start.config.validate;
  return spec;
}

component_id actor_host::start_publisher(context&, const publisher_start& start) {
  caf::actor handle;
  component_id id = spawn_component(
    node_.self->system(), node_.directory,
    std::make_unique<hosted_publisher>(start.def, start.signer, start.store, rules_of(start)),
    publisher_behavior, &handle);
  adopt(node_, handle);
  node_.publishers[id] = caf::actor_cast<value_actor>(handle);
  return id;
}

void actor_host::set_publisher_rules(context&, component_id publisher,
                                     const publisher_start& start) {
  if (auto it = node_.publishers.find(publisher); it != node_.publishers.end())
    node_.self->send(caf::actor_cast<caf::actor>(it->second), atoms::set_rules::value,
                     rules_of(start));
}

void actor_host::stop(context&, component_id id) {
  if (caf::actor a = node_.directory->find(id))
    node_.self->send_exit(a, caf::exit_reason::user_shutdown);
}

/// Spawns the peer for a new connection and tells the core.
caf::actor start_peer(node_shared& node, std::unique_ptr<actor_connection> conn,
                      const std::string& address) {
  peer_config pc = node.config.peer;
  pc.node = node.ctx().self();
  pc.listen_port = node.listen_port; // where a full node may refer others to us (0: nowhere)
  node_key remote = conn->remote();
  bool outbound = conn->initiator();
  caf::actor handle;
  component_id id = spawn_component(node.self->system(), node.directory,
                                    std::make_unique<hosted_peer>(pc, std::move(conn)),
                                    peer_behavior, &handle);
  adopt(node, handle);
  node.peers[handle.address()] = id;
  node.core().connected(node.ctx(), address, id, remote, outbound);
  return handle;
}

/// Dials "mem:NAME" in-process: our peer now, the remote's once its node answers.
void connect_in_memory(node_shared& node, const std::string& address) {
  caf::actor remote_node =
    node.config.memory ? node.config.memory->find(address.substr(4)) : caf::actor{};
  if (!remote_node) {
    node.core().dial_failed(node.ctx(), address,
                            static_cast<uint16_t>(msg::disconnect_reason::transport_error));
    return;
  }
  // Both ends share a handshake hash bound to the two identities, as Noise would give them.
  node_key remote_id = node_key::from(crypto::blake2b_256(byte_span{address.substr(4)}).span());
  hash256 h = crypto::blake2b_256({node.self_id.span(), remote_id.span()});
  bytes hh(h.bytes.begin(), h.bytes.end());
  hh.resize(64, 0);
  auto conn = std::make_unique<actor_connection>(actor_connection::target_kind::remote_peer,
                                                 remote_id, hh, true, node.config.memory_latency);
  caf::actor mine = start_peer(node, std::move(conn), address);
  node.self->send(remote_node, atoms::connect::value, mine, node.self_id, hh);
}

void actor_host::dial(context& ctx, const std::string& address) {
  if (address.rfind("mem:", 0) == 0)
    connect_in_memory(node_, address);
  else if (node_.config.network)
    node_.config.network->connect(node_.self->system(), node_.self_handle, node_.identity, address);
  else
    node_.core().dial_failed(ctx, address,
                             static_cast<uint16_t>(msg::disconnect_reason::transport_error));
}

using feed_opener = std::function<expected<std::unique_ptr<feed_dir>>(const node_config&)>;

expected<std::unique_ptr<feed_dir>> create_writer(const std::string& dir, const key_seed& seed,
                                                  const node_config& config) {
  keypair kp = seed == key_seed{} ? crypto::generate_keypair() : crypto::keypair_from_seed(seed);
  return feed_dir::create(dir, kp, config.store, config.feeds);
}

/// A reader of `key` in dir: the one dir holds, or a new one if dir holds no feed.
expected<std::unique_ptr<feed_dir>> open_reader(const std::string& dir, const public_key& key,
                                                const node_config& config) {
  return feed_dir::open_reader(dir, key, config.store, config.feeds);
}

/// The feed in `dir`: the one the node runs already, or what `open` opens. With `key`, a feed
/// of another key there is store_errc::already_exists, as open_reader says of one on disk.
caf::result<feed_actor> start_feed(node_shared& node, const std::string& dir,
                                   const feed_opener& open, const public_key* key = nullptr) {
  if (auto it = node.feeds_by_dir.find(dir); it != node.feeds_by_dir.end()) {
    if (key && node.feeds[it->second.address()].key != *key)
      return to_caf_error(error{store_errc::already_exists, dir + " holds another feed"});
    return it->second;
  }
  auto opened = open(node.config);
  if (!opened)
    return to_caf_error(opened.error());
  feed_record record;
  record.key = (*opened)->feed().key();
  if (const secret_key* sk = (*opened)->feed().writer_key())
    record.sk = *sk;
  hash256 dk = (*opened)->feed().discovery_key();
  caf::actor handle;
  record.id = spawn_component(node.self->system(), node.directory,
                              std::make_unique<hosted_feed>(std::move(*opened), node.config.feed),
                              feed_behavior, &handle);
  adopt(node, handle);
  node.core().serve(dk, record.id);
  auto typed = caf::actor_cast<feed_actor>(handle);
  node.feeds_by_dir[dir] = typed;
  node.feeds[handle.address()] = record;
  return typed;
}

/// The value feed of `spec`, as the core's value-feed policy runs it; its publisher's actor.
caf::result<value_actor> value_feed_actor(node_shared& node, const value_feed_spec& spec,
                                          bool replace_rules) {
  publisher_start start;
  start.def = spec.def;
  start.config.limits = spec.limits;
  start.config.validate = spec.validate;
  start.config.validate_async = static_cast<bool>(spec.validator);
  start.host_rules = spec;
  auto started = node.core().values().start(node.ctx(), std::move(start), replace_rules);
  if (!started)
    return to_caf_error(started.error());
  return node.publishers.at(started->publisher);
}

value_feed_spec one_key_spec(const public_key& key, const bytes& salt) {
  value_feed_spec spec;
  spec.def = single_key_feed(key, salt);
  return spec;
}

/// The addresses as the node's core and transports take them.
std::vector<std::string> address_texts(const std::vector<peer_address>& addresses) {
  std::vector<std::string> out;
  out.reserve(addresses.size());
  for (const peer_address& a : addresses)
    out.push_back(to_string(a));
  return out;
}

caf::result<bool> join_feed(node_shared& node, const feed_actor& feed,
                            const std::vector<peer_address>& addresses, feed_mode mode,
                            id_channels channels) {
  auto it = node.feeds.find(feed.address());
  if (it == node.feeds.end())
    return to_caf_error(error{base_errc::invalid_argument, "not a feed of this node"});
  const feed_record& record = it->second;
  node.core().join_feed(node.ctx(), record.id, record.key, record.sk, address_texts(addresses),
                        mode, channels);
  return true;
}

caf::result<public_key> open_value_dir(node_shared& node, const std::string& dir) {
  auto opened = value_dir::open(dir, node.config.store);
  if (!opened)
    return to_caf_error(opened.error());
  if (!(*opened)->writable())
    return to_caf_error(error{value_errc::bad_signature, dir + " holds no secret key"});
  value_dir& d = **opened;
  // The core serves the directory's feeds with its key and store; the node keeps both open.
  auto served = node.core().values().open_keys(node.ctx(), d.keys(), d.store());
  if (!served)
    return to_caf_error(served.error());
  if (node.config.log)
    for (const auto& [id, why] : served->unreadable)
      node.config.log("cannot serve value feed " + to_hex(id).substr(0, 16) + ": "
                      + why.to_string());
  public_key key = d.keys().pk;
  node.value_dirs[key] = std::move(*opened);
  return key;
}

/// The node's discovery component, on a socket of its own; swarms started from now on use it.
caf::result<uint16_t> start_discovery(node_shared& node, const discovery_config& config) {
  if (node.discovery)
    return to_caf_error(error{base_errc::invalid_argument, "discovery runs already"});
  if (!config.datagrams)
    return to_caf_error(error{base_errc::invalid_argument, "discovery needs a datagram transport"});
  datagram_component_factory make;
  if (config.kind == discovery_config::backend::dht) {
    dht_config dc = config.dht;
    dc.announce_port = node.listen_port;
    make = [dc](datagram_socket& s) { return std::make_unique<dht>(dc, s); };
  } else {
    if (config.tracker.trackers.empty())
      return to_caf_error(error{base_errc::invalid_argument, "tracker discovery needs a tracker"});
    tracker_client_config tc = config.tracker;
    tc.announce_port = node.listen_port;
    make = [tc](datagram_socket& s) { return std::make_unique<tracker_client>(s, tc); };
  }
  auto hosted = spawn_datagram_component(node.self->system(), node.directory, *config.datagrams,
                                         config.local, make);
  if (!hosted)
    return to_caf_error(hosted.error());
  adopt(node, hosted->actor);
  node.discovery = hosted->actor;
  node.core().set_discovery(node.ctx(), hosted->id);
  return hosted->local.port;
}

void on_down(node_shared& node, const caf::down_msg& down) {
  auto& kids = node.children;
  kids.erase(std::remove_if(kids.begin(), kids.end(),
                            [&](const caf::actor& a) { return a.address() == down.source; }),
             kids.end());
  if (node.stopping) {
    if (kids.empty())
      node.self->quit(caf::exit_reason::user_shutdown);
    return;
  }
  auto it = node.peers.find(down.source);
  if (it == node.peers.end())
    return;
  component_id peer = it->second;
  node.peers.erase(it);
  node.core().peer_ended(node.ctx(), peer);
}

/// Stops everything and quits once every child has terminated, so that whoever waits for the
/// node knows that every store is closed.
void shut_down(node_shared& node) {
  if (node.stopping)
    return;
  node.stopping = true;
  if (node.config.network)
    node.config.network->shutdown();
  for (const caf::actor& child : node.children)
    node.self->send_exit(child, caf::exit_reason::user_shutdown);
  if (node.children.empty())
    node.self->quit(caf::exit_reason::user_shutdown);
}

node_stats stats_of(const node_shared& node) {
  node_stats out;
  // Codes past the known ones (a remote's bye may carry any) all count as "unknown".
  for (uint16_t code = 0; code < actor_directory::disconnect_codes; ++code) {
    auto why = static_cast<msg::disconnect_reason>(code);
    if (uint64_t n = node.directory->disconnects(why))
      out.disconnects[msg::name_of(why)] += n;
  }
  out.peers = node.peers.size();
  out.feeds = node.feeds.size();
  out.value_feeds = node.publishers.size();
  return out;
}

caf::message_handler node_api(std::shared_ptr<node_shared> node) {
  return {
    [node](atoms::create_feed, const std::string& dir, const key_seed& seed) {
      return start_feed(*node, dir, [&](const node_config& c) { return create_writer(dir, seed, c); });
    },
    [node](atoms::open_feed, const std::string& dir) {
      return start_feed(*node, dir, [&](const node_config& c) {
        return feed_dir::open(dir, c.store, c.feeds);
      });
    },
    [node](atoms::clone_feed, const public_key& key, const std::string& dir) {
      return start_feed(
        *node, dir, [&](const node_config& c) { return open_reader(dir, key, c); }, &key);
    },
    [node](atoms::join, const feed_actor& feed, const std::vector<peer_address>& addresses,
           feed_mode mode) { return join_feed(*node, feed, addresses, mode, id_channels{}); },
    [node](atoms::join, const feed_actor& feed, const std::vector<peer_address>& addresses,
           feed_mode mode, id_channels channels) {
      return join_feed(*node, feed, addresses, mode, channels);
    },
    [node](atoms::open_values, const std::string& dir) { return open_value_dir(*node, dir); },
    [node](atoms::value_feed, const public_key& key,
           const bytes& salt) -> caf::result<value_actor> {
      return value_feed_actor(*node, one_key_spec(key, salt), false);
    },
    [node](atoms::value_feed, const value_feed_spec& spec) -> caf::result<value_actor> {
      return value_feed_actor(*node, spec, true);
    },
    [node](atoms::join_value, const value_actor& value,
           const std::vector<peer_address>& addresses) -> caf::result<bool> {
      for (const auto& [id, handle] : node->publishers)
        if (handle == value && node->core().values().join(node->ctx(), id, address_texts(addresses)))
          return true;
      return to_caf_error(error{base_errc::invalid_argument, "not a value feed of this node"});
    },
    [node](atoms::listen, const peer_address& at) -> caf::result<peer_address> {
      if (at.kind != peer_address::kind_type::tcp)
        return to_caf_error(error{base_errc::unsupported, "listening on " + to_string(at)
                                                            + ": only TCP addresses accept"});
      if (!node->config.network)
        return to_caf_error(error{base_errc::unsupported, "this node has no TCP transport"});
      auto bound = node->config.network->listen(node->self->system(), node->self_handle,
                                                node->identity, at.host, at.port);
      if (!bound)
        return std::move(bound.error());
      node->listen_port = *bound;
      // A referral back to ourselves is dropped (the node we dial knows us by key, too).
      for (const char* host : {"127.0.0.1", at.host.c_str()})
        if (auto self = endpoint::parse(std::string{host} + ":" + std::to_string(*bound)))
          node->core().add_self_address(self->to_string());
      if (node->discovery)
        node->self->send(node->discovery, atoms::announce_port::value, *bound);
      return peer_address::tcp(at.host, *bound);
    },
    [node](atoms::discover, const discovery_config& config) {
      return start_discovery(*node, config);
    },
    [node](atoms::discovery) -> caf::result<caf::actor> {
      if (!node->discovery)
        return to_caf_error(error{base_errc::invalid_argument, "discovery is not running"});
      return node->discovery;
    },
    [node](atoms::stats) { return stats_of(*node); },
    [node](atoms::shutdown) { shut_down(*node); },
  };
}

caf::message_handler node_internals(std::shared_ptr<node_shared> node) {
  return {
    // A dial failed, or the connection ended before its peer existed.
    [node](atoms::disconnected, const std::string& address, uint16_t reason) {
      node->core().dial_failed(node->ctx(), address, reason);
    },
    // Another node links to us in-process.
    [node](atoms::connect, caf::actor remote_peer, const node_key& remote_id,
           const bytes& handshake_hash) {
      auto conn = std::make_unique<actor_connection>(actor_connection::target_kind::remote_peer,
                                                     remote_id, handshake_hash, false,
                                                     node->config.memory_latency);
      conn->set_target(remote_peer);
      caf::actor mine = start_peer(*node, std::move(conn), "mem");
      node->self->send(remote_peer, atoms::connected::value, mine);
    },
    // A transport finished its handshake: spawn the peer that speaks through it.
    [node](atoms::connected, caf::actor transport, const node_key& remote,
           const bytes& handshake_hash, bool initiator, const std::string& address) -> caf::actor {
      auto conn = std::make_unique<actor_connection>(actor_connection::target_kind::transport,
                                                     remote, handshake_hash, initiator);
      conn->set_target(std::move(transport));
      return start_peer(*node, std::move(conn), address);
    },
  };
}

} // namespace

node_actor spawn_node(caf::actor_system& sys, const node_config& config) {
  auto node = std::make_shared<node_shared>();
  node->config = config;
  uint64_t seed = config.seed;
  if (seed == 0)
    crypto::random_bytes(reinterpret_cast<uint8_t*>(&seed), sizeof(seed));
  node->directory = std::make_shared<actor_directory>(seed);
  node->directory->set_log(config.log);
  bool random_identity = config.identity_seed == key_seed{};
  node->identity = random_identity ? noise_keypair::generate()
                                   : noise_keypair::from_seed(config.identity_seed);
  // In-process links name nodes; everything else knows a node by its static key.
  node->self_id = config.memory_name.empty()
                    ? node_key::from(node->identity.pk.span())
                    : node_key::from(crypto::blake2b_256(byte_span{config.memory_name}).span());
  auto behavior = [node](component_actor_type* self) -> caf::message_handler {
    node->self = self;
    node->self_handle = caf::actor_cast<caf::actor>(self);
    self->set_down_handler([node](const caf::down_msg& down) { on_down(*node, down); });
    return node_api(node).or_else(node_internals(node));
  };
  caf::actor handle;
  node_core_config core;
  core.id_poll_interval = std::chrono::duration_cast<clock_time>(config.id_poll_interval);
  core.id_poll_jitter = std::chrono::duration_cast<clock_time>(config.id_poll_jitter);
  core.id_overlap = std::chrono::duration_cast<clock_time>(config.id_overlap);
  core.value_outbound_wanted = config.value_peers_wanted;
  spawn_component(sys, node->directory, std::make_unique<node_core>(core, &node->host),
                  behavior, &handle);
  if (config.memory && !config.memory_name.empty())
    config.memory->add(config.memory_name, handle);
  return caf::actor_cast<node_actor>(handle);
}

} // namespace dynfeed
