#include "dynfeed/sim/sim_node.hpp"

#include "dynfeed/base/assert.hpp"
#include "dynfeed/messages/codec.hpp"

#include <algorithm>
#include <string>

namespace dynfeed::sim {

namespace {

node_key node_id_of(uint32_t index) {
  bytes seed = {'s', 'i', 'm', ' ', 'n', 'o', 'd', 'e'};
  put_u64le(seed, index);
  return node_key::from(crypto::blake2b_256(seed).span());
}

} // namespace

// ---- sim_node ----------------------------------------------------------------------------------

sim_node::sim_node(world& w, host_id host, uint32_t index, const public_key& feed_key,
                   std::optional<keypair> writer_keys, std::shared_ptr<const sim_node_config> config)
  : world_(w), host_(host), index_(index), id_(node_id_of(index)), feed_key_(feed_key),
    writer_keys_(std::move(writer_keys)), config_(std::move(config)) {}

sim_node::~sim_node() = default;

endpoint sim_node::address() const {
  return endpoint{world_.drv().net().host(host_).ip, peer_port};
}

void sim_node::start() {
  DYNFEED_REQUIRE(!running_);
  driver& drv = world_.drv();
  // A restart reads the feed back from its store, as a node process would.
  const secret_key* sk = writer_keys_ ? &writer_keys_->sk : nullptr;
  if (store_.commit_count() == 0) {
    auto made = writer_keys_ ? feed::create(store_, *writer_keys_) : feed::create_reader(store_, feed_key_);
    DYNFEED_REQUIRE(made.has_value());
    feed_ = std::move(*made);
  } else {
    auto opened = feed::open(store_, sk);
    DYNFEED_REQUIRE(opened.has_value());
    feed_ = std::move(*opened);
  }
  running_ = true;
  ++epoch_;
  node_core_config core_config = config_->core;
  core_config.self_addresses = {address().to_string()}; // a referral back here is dropped
  core_ = drv.spawn(std::make_unique<node_core>(std::move(core_config), this), host_);
  feed_service_observer* observer = this;
  auto service = std::make_unique<feed_service>(*feed_, config_->feed, observer);
  // A reader restarted before it learned any tree still has only its link to go by (a node
  // process is run again with the same link); once it holds a tree, that tree is newer.
  if (first_id_ && feed_->length() == 0)
    service->set_first_id(*first_id_);
  service_ = drv.spawn(std::move(service), host_);
  if (config_->discovery)
    discovery_ = drv.open_datagram(host_, discovery_port, [this](datagram_socket& socket) {
      return config_->discovery(*this, socket);
    });
  drv.with(core_, [&](component& c, context& ctx) {
    auto& core = static_cast<node_core&>(c);
    core.set_discovery(ctx, discovery_);
    core.serve(feed_->discovery_key(), service_);
    std::optional<secret_key> writer_sk;
    if (sk)
      writer_sk = *sk;
    publisher_ = core.join_feed(ctx, service_, feed_key_, writer_sk, config_->addresses,
                                config_->mode, config_->id_channel);
    // As a node process opens its value directories again.
    for (const keypair& keys : value_keys_) {
      auto opened = core.values().open_keys(ctx, keys, store_);
      DYNFEED_ASSERT(opened.has_value()); // a memory store always lists
    }
  });
  if (!writer_keys_)
    drv.with(service_, [](component& c, context& ctx) {
      static_cast<feed_service&>(c).download(ctx, 0, std::nullopt, true);
    });
}

void sim_node::crashed() {
  running_ = false;
  core_ = service_ = discovery_ = publisher_ = no_component;
  peers_up_ = 0;
}

uint64_t sim_node::append(const std::vector<bytes>& blocks) {
  DYNFEED_REQUIRE(running_ && writer_keys_);
  uint64_t length = 0;
  world_.drv().with(service_, [&](component& c, context& ctx) {
    auto appended = static_cast<feed_service&>(c).append(
      ctx, std::vector<byte_span>(blocks.begin(), blocks.end()));
    DYNFEED_REQUIRE(appended.has_value());
    length = *appended;
  });
  return length;
}

std::optional<hash256> sim_node::swarm_topic() const {
  if (!running_)
    return std::nullopt;
  if (config_->mode == feed_mode::stable)
    return feed_->discovery_key();
  const feed_service* s = service();
  return s ? s->id_topic() : std::nullopt;
}

const feed_service* sim_node::service() const {
  return running_ ? static_cast<const feed_service*>(world_.drv().find(service_)) : nullptr;
}

size_t sim_node::duplicate_peers() const {
  if (!running_)
    return 0;
  return static_cast<const node_core*>(world_.drv().find(core_))->duplicate_count();
}

const discovery_component* sim_node::discovery() const {
  if (!running_ || discovery_ == no_component)
    return nullptr;
  return static_cast<const discovery_component*>(world_.drv().find(discovery_));
}

component_id sim_node::start_swarm(context&, const swarm_config& config) {
  return world_.drv().spawn(std::make_unique<swarm>(config), host_);
}

component_id sim_node::start_publisher(context&, const publisher_start& start) {
  publisher_observer* observer = this;
  return world_.drv().spawn(std::make_unique<publisher>(start.def, start.signer, start.store,
                                                        start.config, observer),
                            host_);
}

void sim_node::set_publisher_rules(context&, component_id publisher_id,
                                   const publisher_start& start) {
  if (auto* p = dynamic_cast<publisher*>(world_.drv().find(publisher_id)))
    p->set_config(start.config);
}

expected<value_keys_opened> sim_node::open_values(const keypair& keys) {
  DYNFEED_REQUIRE(running_);
  std::optional<expected<value_keys_opened>> opened;
  world_.drv().with(core_, [&](component& c, context& ctx) {
    opened = static_cast<node_core&>(c).values().open_keys(ctx, keys, store_);
  });
  DYNFEED_ASSERT(opened.has_value()); // a running core handles it at once
  if (*opened)
    value_keys_.push_back(keys);
  return std::move(*opened);
}

expected<value_feed_entry> sim_node::value_feed(const value_feed_def& def) {
  DYNFEED_REQUIRE(running_);
  std::optional<expected<value_feed_entry>> started;
  world_.drv().with(core_, [&](component& c, context& ctx) {
    publisher_start start;
    start.def = def;
    started = static_cast<node_core&>(c).values().start(ctx, std::move(start), false);
  });
  DYNFEED_ASSERT(started.has_value());
  return std::move(*started);
}

bool sim_node::join_value(component_id publisher_id, std::vector<std::string> addresses) {
  DYNFEED_REQUIRE(running_);
  bool joined = false;
  world_.drv().with(core_, [&](component& c, context& ctx) {
    joined = static_cast<node_core&>(c).values().join(ctx, publisher_id, std::move(addresses));
  });
  return joined;
}

void sim_node::stop(context&, component_id id) {
  world_.drv().stop(id);
}

void sim_node::dial(context&, const std::string& address) {
  world_.dial(*this, address);
}

void sim_node::on_length(uint64_t length) {
  if (node_observer* o = world_.observer())
    o->on_length(*this, length);
}

void sim_node::on_blocks(uint64_t first, uint64_t count) {
  if (node_observer* o = world_.observer())
    o->on_blocks(*this, first, count);
}

void sim_node::on_peer(component_id, bool up) {
  if (up)
    ++peers_up_;
  else if (peers_up_ > 0)
    --peers_up_;
  if (node_observer* o = world_.observer())
    o->on_peer(*this, up);
}

void sim_node::on_value(const signed_value& value) {
  if (node_observer* o = world_.observer())
    o->on_value(*this, value);
}

void sim_node::on_equivocation(const equivocation_proof& proof) {
  if (node_observer* o = world_.observer())
    o->on_equivocation(*this, proof);
}

// ---- world -------------------------------------------------------------------------------------

world::world(driver& drv, config cfg) : drv_(drv), config_(cfg) {
  drv_.on_removed([this](component_id id, host_id host) { on_removed(id, host); });
}

world::~world() {
  drv_.on_removed(nullptr);
}

sim_node& world::add_node(const host_config& host, const public_key& feed_key,
                          std::optional<keypair> writer_keys, std::shared_ptr<const sim_node_config> config) {
  DYNFEED_REQUIRE(!by_ip_.count(host.ip));
  host_id h = drv_.add_host(host);
  auto index = static_cast<uint32_t>(nodes_.size());
  nodes_.push_back(std::make_unique<sim_node>(*this, h, index, feed_key, std::move(writer_keys),
                                              std::move(config)));
  nodes_.back()->store_.share_blocks(blocks_);
  by_ip_[host.ip] = nodes_.back().get();
  if (by_host_.size() <= h)
    by_host_.resize(h + 1, nullptr);
  by_host_[h] = nodes_.back().get();
  return *nodes_.back();
}

sim_node* world::node_at(uint32_t ip) const {
  auto it = by_ip_.find(ip);
  return it == by_ip_.end() ? nullptr : it->second;
}

void world::crash(sim_node& node) {
  if (!node.running_)
    return;
  node.crashed(); // first: the removals that follow are not this node's business any more
  drv_.crash(node.host_);
}

void world::restart(sim_node& node) {
  if (node.running_)
    return;
  drv_.restart(node.host_);
  node.start();
}

void world::fail(sim_node& from, const std::string& address, clock_time delay) {
  uint64_t epoch = from.epoch_;
  sim_node* node = &from;
  drv_.at(drv_.now() + delay, [this, node, epoch, address] {
    if (!node->running_ || node->epoch_ != epoch)
      return;
    drv_.with(node->core_, [&](component& c, context& ctx) {
      static_cast<node_core&>(c).dial_failed(
        ctx, address, static_cast<uint16_t>(msg::disconnect_reason::transport_error));
    });
  });
}

void world::dial(sim_node& from, const std::string& address) {
  auto target = endpoint::parse(address);
  sim_node* to = target ? node_at(target->ip) : nullptr;
  if (!to || target->port != peer_port || to == &from) {
    fail(from, address, to == &from ? clock_time{0} : config_.connect_timeout);
    return;
  }
  // Nothing dials a host behind NAT: the dial meets silence, or a punched hole (network.hpp).
  dial_fate fate = drv_.net().dial(from.host_, to->host_, random_);
  if (!fate.connects) {
    fail(from, address, fate.punched ? fate.delay : config_.connect_timeout);
    return;
  }
  clock_time handshake = drv_.net().latency(from.host_, to->host_) * config_.handshake_latencies;
  clock_time wait = fate.delay + handshake;
  uint64_t epoch = from.epoch_;
  sim_node* node = &from;
  drv_.at(drv_.now() + wait, [this, node, to, epoch, address, wait, punched = fate.punched] {
    if (!node->running_ || node->epoch_ != epoch)
      return;
    if (!to->running_ || !drv_.net().reachable(node->host_, to->host_)) {
      fail(*node, address, config_.connect_timeout - std::min(wait, config_.connect_timeout));
      return;
    }
    connect(*node, *to, address, punched);
  });
}

void world::connect(sim_node& from, sim_node& to, const std::string& address, bool punched) {
  DYNFEED_ASSERT(punched || !drv_.net().behind_nat(to.host_)); // nothing dials a NATed host
  ++(punched ? punched_ : dialled_);
  // Each hello says where its node accepts connections: nowhere from behind NAT.
  auto listen_port = [this](const sim_node& n) {
    return drv_.net().behind_nat(n.host_) ? uint16_t{0} : peer_port;
  };
  peer_config pa = from.config_->peer;
  pa.node = from.core_;
  pa.listen_port = listen_port(from);
  peer_config pb = to.config_->peer;
  pb.node = to.core_;
  pb.listen_port = listen_port(to);
  // Not a structured binding: the lambdas below capture both ids, which C++17 (and clang)
  // does not allow for bindings.
  auto ids = drv_.connect(
    from.host_, to.host_, from.id_, to.id_,
    [&](connection& c) { return std::make_unique<peer>(pa, c); },
    [&](connection& c) { return std::make_unique<peer>(pb, c); });
  auto ia = ids.first;
  auto ib = ids.second;
  node_key to_id = to.id_;
  node_key from_id = from.id_;
  std::string from_address = from.address().to_string();
  drv_.with(from.core_, [&](component& c, context& ctx) {
    static_cast<node_core&>(c).connected(ctx, address, ia, to_id, true);
  });
  drv_.with(to.core_, [&](component& c, context& ctx) {
    static_cast<node_core&>(c).connected(ctx, from_address, ib, from_id, false);
  });
}

std::pair<component_id, component_id> world::accept(sim_node& to, host_id from,
                                                    const node_key& from_id,
                                                    const std::string& from_address,
                                                    const peer_factory& make_from) {
  DYNFEED_REQUIRE(to.running_);
  peer_config pb = to.config_->peer;
  pb.node = to.core_;
  pb.listen_port = drv_.net().behind_nat(to.host_) ? uint16_t{0} : peer_port;
  auto ids = drv_.connect(from, to.host_, from_id, to.id_, make_from,
                          [&](connection& c) { return std::make_unique<peer>(pb, c); });
  component_id ib = ids.second;
  drv_.with(to.core_, [&](component& c, context& ctx) {
    static_cast<node_core&>(c).connected(ctx, from_address, ib, from_id, false);
  });
  return ids;
}

void world::on_removed(component_id id, host_id host) {
  // The node's core forgets the component if it was one of its peers.
  sim_node* node = host < by_host_.size() ? by_host_[host] : nullptr;
  if (!node || !node->running_ || id == node->core_)
    return;
  drv_.with(node->core_, [&](component& c, context& ctx) {
    static_cast<node_core&>(c).peer_ended(ctx, id);
  });
}

} // namespace dynfeed::sim
