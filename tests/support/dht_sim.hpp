#pragma once

/// DHT nodes in the simulator (sim::runtime) for the DHT tests: a network builder, a probe that
/// sends hand-made datagrams and records what comes back (optionally answering queries as a
/// hostile node would), and a component that records peers_found.

#include "dynfeed/messages/codec.hpp"
#include "dynfeed/messages/dht_codec.hpp"
#include "dynfeed/discovery/dht.hpp"
#include "dynfeed/sim/runtime.hpp"

#include <boost/test/unit_test.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dynfeed::test {

using namespace std::chrono_literals;

inline constexpr uint16_t dht_port = 6881;

/// 10.x.y.z, distinct for every index.
inline uint32_t host_ip(size_t index) {
  return 0x0a000000u | static_cast<uint32_t>(index + 1);
}

inline hash256 hash_of(std::string_view text) {
  return crypto::blake2b_256(byte_span{text});
}

/// A datagram socket's owner that does what the test says.
class probe final : public datagram_component {
public:
  struct datagram {
    endpoint from;
    bytes data;
  };
  /// Answers a query (return nothing to stay silent).
  using responder = std::function<std::optional<msg::dht_body>(const endpoint&, const msg::dht_rpc&)>;

  probe(datagram_socket& socket, hash256 id) : socket_(socket), id_(id) {}

  void on_message(context&, component_id, byte_span) override {}
  void on_datagram(context&, const endpoint& from, byte_span data) override {
    received.push_back({from, data.to_bytes()});
    if (!answer)
      return;
    auto rpc = msg::decode_rpc(data);
    if (!rpc || !msg::is_query(rpc->body))
      return;
    if (auto body = answer(from, *rpc))
      send(from, msg::dht_rpc{rpc->transaction, id_, std::move(*body)});
  }

  void send_raw(const endpoint& to, bytes data) { socket_.send_to(to, std::move(data)); }
  void send(const endpoint& to, const msg::dht_rpc& rpc) { send_raw(to, msg::encode_rpc(rpc)); }
  /// Sends a query with transaction `transaction` and this probe's ID.
  void query(const endpoint& to, uint64_t transaction, msg::dht_body body) {
    send(to, msg::dht_rpc{transaction, id_, std::move(body)});
  }

  /// Everything received that decodes, in order.
  std::vector<msg::dht_rpc> decoded() const {
    std::vector<msg::dht_rpc> out;
    for (const datagram& d : received)
      if (auto rpc = msg::decode_rpc(d.data))
        out.push_back(std::move(*rpc));
    return out;
  }
  /// The response to `transaction`, if one arrived.
  std::optional<msg::dht_rpc> response_to(uint64_t transaction) const {
    for (auto& rpc : decoded())
      if (rpc.transaction == transaction && !msg::is_query(rpc.body))
        return rpc;
    return std::nullopt;
  }

  endpoint local() const { return socket_.local(); }
  const hash256& id() const { return id_; }

  std::vector<datagram> received;
  responder answer;

private:
  datagram_socket& socket_;
  hash256 id_;
};

/// Records the peers_found frames a discovery component sends it.
class peers_recorder final : public component {
public:
  void on_message(context&, component_id, byte_span frame) override {
    auto m = msg::decode(frame);
    if (!m)
      return;
    if (auto* local = std::get_if<msg::local_message>(&*m))
      if (auto* found = std::get_if<msg::peers_found>(local)) {
        ++reports;
        for (const std::string& a : found->addresses)
          addresses.push_back(a);
      }
  }
  bool saw(const std::string& address) const {
    return std::find(addresses.begin(), addresses.end(), address) != addresses.end();
  }
  std::vector<std::string> addresses;
  uint64_t reports = 0;
};

/// DHT nodes (and probes), one per simulated host.
struct dht_network {
  sim::runtime rt;
  std::vector<component_id> nodes;
  std::vector<sim::host_id> hosts;
  size_t hosts_made = 0;

  explicit dht_network(uint64_t seed, sim::network_config net = {}) : rt(seed, std::move(net)) {}

  sim::host_id new_host() {
    return rt.add_host(sim::host_config{host_ip(hosts_made++), 0, 0, 0});
  }

  /// A DHT node on a new host; returns its index.
  size_t add_node(dht_config config) {
    sim::host_id h = new_host();
    component_id id = rt.open_datagram(h, dht_port, [&](datagram_socket& s) {
      return std::make_unique<dht>(config, s);
    });
    nodes.push_back(id);
    hosts.push_back(h);
    return nodes.size() - 1;
  }

  /// A probe on a new host.
  std::pair<component_id, probe*> add_probe(hash256 id, uint16_t port = dht_port) {
    sim::host_id h = new_host();
    probe* p = nullptr;
    component_id cid = rt.open_datagram(h, port, [&](datagram_socket& s) {
      auto made = std::make_unique<probe>(s, id);
      p = made.get();
      return made;
    });
    return {cid, p};
  }

  dht& node(size_t index) { return static_cast<dht&>(*rt.find(nodes.at(index))); }
  endpoint address(size_t index) { return node(index).local(); }

  void with(size_t index, const std::function<void(dht&, context&)>& fn) {
    rt.with(nodes.at(index), [&](component& c, context& ctx) { fn(static_cast<dht&>(c), ctx); });
  }

  /// Adds `count` nodes, one every `spacing`, each bootstrapping from node 0 (the first one has
  /// no bootstrap), then lets them settle for `settle`.
  void grow(size_t count, const dht_config& base, clock_time spacing = 20ms,
            clock_time settle = 60s) {
    for (size_t i = 0; i < count; ++i) {
      dht_config config = base;
      if (!nodes.empty())
        config.bootstrap = {address(0)};
      add_node(config);
      rt.run_until(rt.now() + spacing);
    }
    rt.run_until(rt.now() + settle);
  }

  /// Runs until `done()` or `limit` of virtual time passed; false on the limit.
  bool run_until(const std::function<bool()>& done, clock_time limit = 120s) {
    clock_time end = rt.now() + limit;
    while (!done()) {
      if (rt.now() >= end || !rt.step())
        return done();
    }
    return true;
  }

  /// Starts an operation on node `index` and runs until its callback.
  template <class Result, class Start>
  Result await(size_t index, Start start, clock_time limit = 120s) {
    std::optional<Result> out;
    with(index, [&](dht& d, context& ctx) { start(d, ctx, [&](const Result& r) { out = r; }); });
    BOOST_REQUIRE_MESSAGE(run_until([&] { return out.has_value(); }, limit),
                          "the DHT operation did not finish in time");
    return *out;
  }

  dht_lookup_result find_node(size_t index, const hash256& target) {
    return await<dht_lookup_result>(index, [&](dht& d, context& ctx, auto cb) { d.find_node(ctx, target, cb); });
  }
  dht_lookup_result lookup_peers(size_t index, const hash256& topic) {
    return await<dht_lookup_result>(index, [&](dht& d, context& ctx, auto cb) { d.lookup_peers(ctx, topic, cb); });
  }
  dht_lookup_result get_value(size_t index, const hash256& target) {
    return await<dht_lookup_result>(index, [&](dht& d, context& ctx, auto cb) { d.get_value(ctx, target, cb); });
  }
  dht_store_result announce(size_t index, const hash256& topic, uint16_t port) {
    return await<dht_store_result>(index, [&](dht& d, context& ctx, auto cb) { d.announce(ctx, topic, port, cb); });
  }
  dht_store_result put_value(size_t index, const value_feed_def& def, const signed_value& v,
                             std::optional<uint64_t> cas = std::nullopt) {
    return await<dht_store_result>(index, [&](dht& d, context& ctx, auto cb) { d.put_value(ctx, def, v, cas, cb); });
  }

  /// The `count` node IDs closest to `target` among all nodes, by brute force.
  std::vector<hash256> true_closest(const hash256& target, size_t count) {
    std::vector<hash256> ids;
    for (size_t i = 0; i < nodes.size(); ++i)
      ids.push_back(node(i).id());
    std::sort(ids.begin(), ids.end(),
              [&](const hash256& a, const hash256& b) { return closer_to(target, a, b); });
    ids.resize(std::min(count, ids.size()));
    return ids;
  }
};

} // namespace dynfeed::test
