#include "actors/node.hpp"

#include "actors/hosted.hpp"
#include "base/hex.hpp"
#include "messages/codec.hpp"
#include "proto/node_directory.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <map>

namespace dynfeed {

caf::error to_caf_error(const error& err) {
  return caf::error{err.code(), caf::atom_from_string(err.category()),
                    caf::make_message(err.to_string())};
}

// ---- hosted components -------------------------------------------------------------------

feed_info hosted_feed::info() const {
  const feed& f = dir_->feed();
  feed_info out;
  out.key = f.key();
  out.discovery_key = f.discovery_key();
  out.id = f.id();
  out.length = f.length();
  out.byte_length = f.byte_length();
  out.fork = f.fork();
  out.held = f.have().count();
  out.peers = service_.peer_count();
  out.writable = f.writable();
  return out;
}

template <class... Ts>
void hosted_feed::notify(Ts&&... xs) {
  for (const caf::actor& who : subscribers_)
    self_->send(who, xs...);
}

void hosted_feed::on_length(uint64_t length) {
  notify(atoms::length::value, length);
}

void hosted_feed::on_blocks(uint64_t first, uint64_t count) {
  notify(atoms::blocks::value, first, count);
}

void hosted_feed::on_download_done() {
  notify(atoms::done::value);
}

void hosted_feed::on_peer(component_id, bool) {
  notify(atoms::peers::value, static_cast<uint64_t>(service_.peer_count()));
}

void memory_network::add(const std::string& name, caf::actor node) {
  std::lock_guard<std::mutex> lock(mutex_);
  nodes_[name] = std::move(node);
}

caf::actor memory_network::find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = nodes_.find(name);
  return it == nodes_.end() ? caf::actor{} : it->second;
}

template <class... Ts>
void actor_connection::deliver(Ts&&... xs) {
  if (latency_ > caf::timespan{0})
    caf::delayed_anon_send(target_, latency_, std::forward<Ts>(xs)...);
  else
    caf::anon_send(target_, std::forward<Ts>(xs)...);
}

void actor_connection::send_frame(bytes frame) {
  if (kind_ == target_kind::transport)
    deliver(atoms::transmit::value, std::move(frame));
  else
    deliver(atoms::remote::value, std::move(frame));
}

void actor_connection::send_close(uint16_t code) {
  if (kind_ == target_kind::transport)
    deliver(atoms::close::value, code);
  else
    deliver(atoms::disconnected::value, code);
}

void actor_connection::set_target(caf::actor target) {
  target_ = std::move(target);
  for (bytes& frame : waiting_)
    send_frame(std::move(frame));
  waiting_.clear();
  if (close_waiting_)
    send_close(*close_waiting_);
}

void actor_connection::transmit(bytes frame) {
  if (closed_)
    return;
  if (!target_) {
    if (waiting_.size() < frames_waiting_max)
      waiting_.push_back(std::move(frame));
    return;
  }
  send_frame(std::move(frame));
}

void actor_connection::close(msg::disconnect_reason why) {
  if (closed_)
    return;
  closed_ = true;
  auto code = static_cast<uint16_t>(why);
  if (!target_)
    close_waiting_ = code;
  else
    send_close(code);
}

void node_connector::connect(context& ctx, const std::string& address) {
  caf::anon_send(node_, atoms::connect::value, address, ctx.self());
}

// ---- the node actor ------------------------------------------------------------------------

namespace {

/// A peer the node started: whom to tell when its connection ends.
struct peer_record {
  component_id id = no_component;
  component_id requester = no_component;
  std::string address;
};

/// What the node actor keeps besides its directory component.
struct node_shared {
  node_config config;
  noise_keypair identity;
  node_id self_id;
  std::shared_ptr<actor_directory> directory;
  caf::actor self_handle;
  std::map<std::string, feed_actor> feeds_by_dir;
  std::map<caf::actor_addr, component_id> feed_ids;
  std::map<caf::actor_addr, peer_record> peers;
  std::vector<caf::actor> children;
  bool stopping = false;
};

/// Every actor the node starts is its child: monitored, so that shutdown can wait for them.
void adopt(component_actor_type* self, node_shared& node, const caf::actor& child) {
  self->monitor(child);
  node.children.push_back(child);
}

caf::message_handler feed_behavior(component_actor_type* self) {
  auto& hosted = static_cast<hosted_feed&>(*self->state.comp);
  hosted.bind(self);
  return {
    [self](atoms::append, const std::vector<bytes>& blocks) -> caf::result<uint64_t> {
      auto& h = static_cast<hosted_feed&>(*self->state.comp);
      auto length = h.service().append(*self->state.ctx,
                                       std::vector<byte_span>(blocks.begin(), blocks.end()));
      if (!length)
        return to_caf_error(length.error());
      return *length;
    },
    [self](atoms::get, uint64_t index) -> caf::result<bytes> {
      auto& h = static_cast<hosted_feed&>(*self->state.comp);
      auto value = h.service().data().get(index);
      if (!value)
        return to_caf_error(value.error());
      return std::move(*value);
    },
    [self](atoms::info) -> feed_info {
      return static_cast<hosted_feed&>(*self->state.comp).info();
    },
    [self](atoms::download, uint64_t start, uint64_t end, bool live) {
      auto& h = static_cast<hosted_feed&>(*self->state.comp);
      std::optional<uint64_t> until;
      if (end != download_to_end)
        until = end;
      h.service().download(*self->state.ctx, start, until, live);
    },
    [self](atoms::subscribe, caf::actor who) {
      static_cast<hosted_feed&>(*self->state.comp).subscribe(std::move(who));
    },
  };
}

caf::message_handler peer_behavior(component_actor_type* self) {
  return {
    // An in-process link learns its far end once the other node has spawned it.
    [self](atoms::connected, caf::actor target) {
      static_cast<hosted_peer&>(*self->state.comp).conn().set_target(std::move(target));
    },
  };
}

expected<std::unique_ptr<feed_dir>> open_or_create(const std::string& dir, const std::string& op,
                                                   const std::string& arg,
                                                   const node_config& config) {
  if (op == "create") {
    keypair kp;
    if (arg.empty()) {
      kp = crypto::generate_keypair();
    } else {
      auto seed = fixed_from_hex<key_seed>(arg);
      if (!seed)
        return seed.error();
      kp = crypto::keypair_from_seed(*seed);
    }
    return feed_dir::create(dir, kp, config.store, config.feeds);
  }
  if (op == "clone") {
    auto key = fixed_from_hex<public_key>(arg);
    if (!key)
      return key.error();
    auto existing = feed_dir::open(dir, config.store, config.feeds);
    if (existing) {
      if ((*existing)->feed().key() != *key)
        return error{store_errc::already_exists, dir + " holds another feed"};
      return existing;
    }
    if (!existing.error().is(store_errc::not_found))
      return existing;
    return feed_dir::create_reader(dir, *key, config.store, config.feeds);
  }
  return feed_dir::open(dir, config.store, config.feeds);
}

caf::result<feed_actor> start_feed(component_actor_type* self, node_shared& node,
                                   const std::string& dir, const std::string& op,
                                   const std::string& arg) {
  if (auto it = node.feeds_by_dir.find(dir); it != node.feeds_by_dir.end())
    return it->second;
  auto opened = open_or_create(dir, op, arg, node.config);
  if (!opened)
    return to_caf_error(opened.error());
  hash256 dk = (*opened)->feed().discovery_key();
  caf::actor handle;
  component_id id = spawn_component(self->system(), node.directory,
                                    std::make_unique<hosted_feed>(std::move(*opened), node.config.feed),
                                    feed_behavior, &handle);
  adopt(self, node, handle);
  static_cast<node_directory&>(*self->state.comp).add_feed(dk, id);
  auto typed = caf::actor_cast<feed_actor>(handle);
  node.feeds_by_dir[dir] = typed;
  node.feed_ids[handle.address()] = id;
  return typed;
}

/// Spawns the peer for a new connection and tells the swarm that asked for it (if any).
caf::actor start_peer(component_actor_type* self, node_shared& node,
                      std::unique_ptr<actor_connection> conn, const std::string& address,
                      component_id requester) {
  peer_config pc = node.config.peer;
  pc.node = self->state.ctx->self();
  node_id remote = conn->remote();
  bool outbound = conn->initiator();
  caf::actor handle;
  component_id id = spawn_component(self->system(), node.directory,
                                    std::make_unique<hosted_peer>(pc, std::move(conn)),
                                    peer_behavior, &handle);
  adopt(self, node, handle);
  node.peers[handle.address()] = peer_record{id, requester, address};
  if (requester != no_component) {
    msg::peer_up up{id, hash256::from(remote.span()), address, outbound};
    self->state.ctx->send(requester, msg::encode(msg::local_message{up}));
  }
  return handle;
}

void report_down(component_actor_type* self, component_id requester, component_id peer,
                 const std::string& address, uint16_t reason) {
  if (requester != no_component)
    self->state.ctx->send(requester,
                          msg::encode(msg::local_message{msg::peer_down{peer, address, reason}}));
}

/// Dials "mem:NAME" in-process: our peer now, the remote's once its node answers.
void connect_in_memory(component_actor_type* self, node_shared& node, const std::string& address,
                       component_id requester) {
  caf::actor remote_node =
    node.config.memory ? node.config.memory->find(address.substr(4)) : caf::actor{};
  if (!remote_node) {
    report_down(self, requester, no_component, address,
                static_cast<uint16_t>(msg::disconnect_reason::transport_error));
    return;
  }
  // Both ends share a handshake hash bound to the two identities, as Noise would give them.
  node_id remote_id = node_id::from(crypto::blake2b_256(byte_span{address.substr(4)}).span());
  hash256 h = crypto::blake2b_256({node.self_id.span(), remote_id.span()});
  bytes hh(h.bytes.begin(), h.bytes.end());
  hh.resize(64, 0);
  auto conn = std::make_unique<actor_connection>(actor_connection::target_kind::remote_peer,
                                                 remote_id, hh, true, node.config.memory_latency);
  caf::actor mine = start_peer(self, node, std::move(conn), address, requester);
  self->send(remote_node, atoms::connect::value, mine, node.self_id, hh);
}

caf::message_handler node_behavior(component_actor_type* self, std::shared_ptr<node_shared> node) {
  node->self_handle = caf::actor_cast<caf::actor>(self);
  self->set_down_handler([self, node](const caf::down_msg& down) {
    auto& kids = node->children;
    kids.erase(std::remove_if(kids.begin(), kids.end(),
                              [&](const caf::actor& a) { return a.address() == down.source; }),
               kids.end());
    if (node->stopping) {
      if (kids.empty())
        self->quit(caf::exit_reason::user_shutdown);
      return;
    }
    auto it = node->peers.find(down.source);
    if (it == node->peers.end())
      return;
    report_down(self, it->second.requester, it->second.id, it->second.address,
                static_cast<uint16_t>(msg::disconnect_reason::normal));
    node->peers.erase(it);
  });
  return {
    [self, node](atoms::create_feed, const std::string& dir, const std::string& seed_hex) {
      return start_feed(self, *node, dir, "create", seed_hex);
    },
    [self, node](atoms::open_feed, const std::string& dir) {
      return start_feed(self, *node, dir, "open", "");
    },
    [self, node](atoms::clone_feed, const std::string& key_hex, const std::string& dir) {
      return start_feed(self, *node, dir, "clone", key_hex);
    },
    [self, node](atoms::join, const feed_actor& feed,
                 const std::vector<std::string>& addresses) -> caf::result<bool> {
      auto it = node->feed_ids.find(feed.address());
      if (it == node->feed_ids.end())
        return caf::make_error(caf::sec::invalid_argument, "not a feed of this node");
      swarm_config sc;
      sc.feed = it->second;
      sc.addresses = addresses;
      caf::actor handle;
      spawn_component(self->system(), node->directory,
                      std::make_unique<hosted_swarm>(sc, node->self_handle), nullptr, &handle);
      adopt(self, *node, handle);
      return true;
    },
    // Stops everything and quits once every child has terminated, so that whoever waits for
    // the node knows that every store is closed.
    [self, node](atoms::shutdown) {
      if (node->stopping)
        return;
      node->stopping = true;
      if (node->config.network)
        node->config.network->shutdown();
      for (const caf::actor& child : node->children)
        self->send_exit(child, caf::exit_reason::user_shutdown);
      if (node->children.empty())
        self->quit(caf::exit_reason::user_shutdown);
    },
    [self, node](atoms::listen, const std::string& host, uint16_t port) -> caf::result<uint16_t> {
      if (!node->config.network)
        return caf::make_error(caf::sec::invalid_argument, "this node has no transport");
      auto bound = node->config.network->listen(self->system(), node->self_handle, node->identity,
                                                host, port);
      if (!bound)
        return std::move(bound.error());
      return *bound;
    },
    // A swarm asks for a connection.
    [self, node](atoms::connect, const std::string& address, component_id requester) {
      if (address.rfind("mem:", 0) == 0)
        connect_in_memory(self, *node, address, requester);
      else if (node->config.network)
        node->config.network->connect(self->system(), node->self_handle, node->identity, address,
                                      requester);
      else
        report_down(self, requester, no_component, address,
                    static_cast<uint16_t>(msg::disconnect_reason::transport_error));
    },
    // A dial failed, or a transport ended before its peer existed.
    [self, node](atoms::disconnected, component_id requester, component_id peer,
                 const std::string& address, uint16_t reason) {
      report_down(self, requester, peer, address, reason);
    },
    // Another node links to us in-process.
    [self, node](atoms::connect, caf::actor remote_peer, const node_id& remote_id,
                 const bytes& handshake_hash) {
      auto conn = std::make_unique<actor_connection>(actor_connection::target_kind::remote_peer,
                                                     remote_id, handshake_hash, false,
                                                     node->config.memory_latency);
      conn->set_target(remote_peer);
      caf::actor mine = start_peer(self, *node, std::move(conn), "mem", no_component);
      self->send(remote_peer, atoms::connected::value, mine);
    },
    // A transport finished its handshake: spawn the peer that speaks through it.
    [self, node](atoms::connected, caf::actor transport, const node_id& remote,
                 const bytes& handshake_hash, bool initiator, const std::string& address,
                 component_id requester) -> caf::actor {
      auto conn = std::make_unique<actor_connection>(actor_connection::target_kind::transport,
                                                     remote, handshake_hash, initiator);
      conn->set_target(std::move(transport));
      return start_peer(self, *node, std::move(conn), address, requester);
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
                    ? node_id::from(node->identity.pk.span())
                    : node_id::from(crypto::blake2b_256(byte_span{config.memory_name}).span());
  caf::actor handle;
  spawn_component(sys, node->directory, std::make_unique<node_directory>(),
                  [node](component_actor_type* self) { return node_behavior(self, node); },
                  &handle);
  if (config.memory && !config.memory_name.empty())
    config.memory->add(config.memory_name, handle);
  return caf::actor_cast<node_actor>(handle);
}

} // namespace dynfeed
