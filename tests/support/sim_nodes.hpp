#pragma once

/// Small simulated nodes for protocol tests: a directory, one feed service over a memory store,
/// and peers created by linking two nodes in a sim::runtime.

#include "dynfeed/core/feed.hpp"
#include "dynfeed/messages/codec.hpp"
#include "dynfeed/replication/feed_service.hpp"
#include "dynfeed/replication/node_core.hpp"
#include "dynfeed/replication/peer.hpp"
#include "dynfeed/sim/runtime.hpp"
#include "dynfeed/storage/memory_store.hpp"

#include <memory>
#include <string>

namespace dynfeed::test {

struct recording_observer : feed_service_observer {
  std::vector<uint64_t> lengths;
  uint64_t blocks = 0;
  bool done = false;
  std::vector<std::string> rejected;
  void on_length(uint64_t length) override { lengths.push_back(length); }
  void on_blocks(uint64_t, uint64_t count) override { blocks += count; }
  void on_download_done() override { done = true; }
  void on_rejected(component_id, const error& why) override { rejected.push_back(why.to_string()); }
};

struct sim_node {
  node_key id;
  memory_store store;
  std::unique_ptr<feed> f;
  recording_observer observer;
  component_id directory = no_component;
  component_id service = no_component;

  node_core& dir(sim::runtime& rt) { return static_cast<node_core&>(*rt.find(directory)); }
  feed_service& svc(sim::runtime& rt) { return static_cast<feed_service&>(*rt.find(service)); }
};

inline keypair test_writer_keys() {
  return crypto::keypair_from_seed(key_seed::from(bytes(32, 77)));
}

/// A node with a writable feed (writer) or a reader of the test writer's feed.
inline std::unique_ptr<sim_node> make_node(sim::runtime& rt, uint8_t name, bool writer,
                                           feed_service_config config = {}) {
  auto n = std::make_unique<sim_node>();
  n->id = node_key::from(bytes(32, name));
  keypair kp = test_writer_keys();
  n->f = writer ? std::move(*feed::create(n->store, kp)) : std::move(*feed::create_reader(n->store, kp.pk));
  n->directory = rt.spawn(std::make_unique<node_core>());
  n->service = rt.spawn(std::make_unique<feed_service>(*n->f, config, &n->observer));
  n->dir(rt).serve(n->f->discovery_key(), n->service);
  return n;
}

/// Links two nodes; each end's peer answers find_feed through its node's directory.
inline std::pair<component_id, component_id> link(sim::runtime& rt, sim_node& a, sim_node& b,
                                                  clock_time latency = std::chrono::milliseconds{10}) {
  peer_config ca, cb;
  ca.node = a.directory;
  cb.node = b.directory;
  return rt.connect(
    a.id, b.id, latency, [&](connection& c) { return std::make_unique<peer>(ca, c); },
    [&](connection& c) { return std::make_unique<peer>(cb, c); });
}

/// Hands a peer to a node's feed service, as a swarm does once connected.
inline void offer(sim::runtime& rt, sim_node& n, component_id peer_id) {
  rt.with(n.service, [&](component&, context& ctx) {
    ctx.send(n.service, msg::encode(msg::local_message{msg::offer_peer{peer_id}}));
  });
}

inline std::vector<bytes> numbered_blocks(uint64_t first, uint64_t count, size_t size = 100) {
  std::vector<bytes> out;
  for (uint64_t i = first; i < first + count; ++i) {
    std::string s = "block " + std::to_string(i) + " ";
    bytes b(s.begin(), s.end());
    b.resize(std::max(size, b.size()), static_cast<uint8_t>(i));
    out.push_back(std::move(b));
  }
  return out;
}

inline void append(sim::runtime& rt, sim_node& n, const std::vector<bytes>& blocks) {
  rt.with(n.service, [&](component& c, context& ctx) {
    auto len = static_cast<feed_service&>(c).append(ctx, std::vector<byte_span>(blocks.begin(), blocks.end()));
    DYNFEED_ASSERT(len.has_value());
  });
}

/// Appends through the feed service `service`, as its writer's node would.
inline void append_blocks(sim::runtime& rt, component_id service, const std::vector<bytes>& blocks) {
  rt.with(service, [&](component& c, context& ctx) {
    auto len = static_cast<feed_service&>(c).append(ctx, std::vector<byte_span>(blocks.begin(), blocks.end()));
    DYNFEED_ASSERT(len.has_value());
  });
}

inline void download(sim::runtime& rt, sim_node& n, uint64_t start, std::optional<uint64_t> end,
                     bool live) {
  rt.with(n.service, [&](component& c, context& ctx) {
    static_cast<feed_service&>(c).download(ctx, start, end, live);
  });
}

} // namespace dynfeed::test
