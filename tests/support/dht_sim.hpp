#pragma once

/// DHT nodes in the simulator (sim::runtime) for the DHT tests: a network builder, a probe that
/// sends hand-made datagrams and records what comes back (optionally answering queries as a
/// hostile node would), and a component that records peers_found.

#include "dynfeed/messages/codec.hpp"
#include "dynfeed/discovery/dht.hpp"
#include "dynfeed/feed/bep44.hpp"
#include "dynfeed/krpc/codec.hpp"
#include "dynfeed/krpc/targets.hpp"
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

/// A point of the 160-bit key space named by `text`.
inline node_id id_of(std::string_view text) {
  return krpc::info_hash(hash_of(text));
}

/// A KRPC transaction ID from a number (tests pick theirs; 2 bytes, as Mainline clients do).
inline bytes tid(uint16_t n) {
  return bytes{static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
}

/// A bencoded string value ("<size>:<text>"), the simplest BEP 44 v.
inline bytes bencoded(std::string_view text) {
  std::string s = std::to_string(text.size()) + ":" + std::string{text};
  return bytes(s.begin(), s.end());
}

/// A signed BEP 44 mutable item.
inline bep44::mutable_item signed_item(const keypair& kp, int64_t seq, std::string_view text,
                                       std::string_view salt = {}) {
  auto item = bep44::sign(kp, bytes(salt.begin(), salt.end()), seq, bencoded(text));
  BOOST_REQUIRE(item);
  return *item;
}

/// A datagram socket's owner that does what the test says.
class probe final : public datagram_component {
public:
  struct datagram {
    endpoint from;
    bytes data;
  };
  /// Answers a query (return nothing to stay silent).
  using responder = std::function<std::optional<krpc::body>(const endpoint&, const krpc::message&)>;

  probe(datagram_socket& socket, node_id id) : socket_(socket), id_(id) {}

  void on_message(context&, component_id, byte_span) override {}
  void on_datagram(context&, const endpoint& from, byte_span data) override {
    received.push_back({from, data.to_bytes()});
    if (!answer)
      return;
    auto m = krpc::decode(data);
    if (!m || !krpc::is_query(*m))
      return;
    if (auto body = answer(from, *m))
      send(from, message(m->transaction, std::move(*body)));
  }

  krpc::message message(bytes transaction, krpc::body body) const {
    krpc::message m;
    m.transaction = std::move(transaction);
    m.sender = id_;
    m.content = std::move(body);
    return m;
  }
  void send_raw(const endpoint& to, bytes data) { socket_.send_to(to, std::move(data)); }
  void send(const endpoint& to, const krpc::message& m) { send_raw(to, krpc::encode(m)); }
  /// Sends a query with transaction `transaction` and this probe's ID.
  void query(const endpoint& to, const bytes& transaction, krpc::query q) {
    send(to, message(transaction, std::move(q)));
  }

  /// Everything received that decodes, in order.
  std::vector<krpc::message> decoded() const {
    std::vector<krpc::message> out;
    for (const datagram& d : received)
      if (auto m = krpc::decode(d.data))
        out.push_back(std::move(*m));
    return out;
  }
  /// The response (or error) to `transaction`, if one arrived.
  std::optional<krpc::message> response_to(const bytes& transaction) const {
    for (auto& m : decoded())
      if (m.transaction == transaction && !krpc::is_query(m))
        return m;
    return std::nullopt;
  }
  /// The response's fields (a test failure if it is an error or missing).
  krpc::response answer_to(const bytes& transaction) const {
    auto m = response_to(transaction);
    BOOST_REQUIRE_MESSAGE(m, "no response");
    auto* r = std::get_if<krpc::response>(&m->content);
    BOOST_REQUIRE_MESSAGE(r, "an error, not a response");
    return *r;
  }
  /// The error code of the reply to `transaction` (0: a response, -1: nothing arrived).
  int64_t error_code(const bytes& transaction) const {
    auto m = response_to(transaction);
    if (!m)
      return -1;
    auto* e = std::get_if<krpc::error_reply>(&m->content);
    return e ? e->code : 0;
  }

  endpoint local() const { return socket_.local(); }
  const node_id& id() const { return id_; }

  std::vector<datagram> received;
  responder answer;

private:
  datagram_socket& socket_;
  node_id id_;
};

/// Records the peers_found and item_found frames a discovery component sends it.
class peers_recorder final : public component {
public:
  void on_message(context&, component_id, byte_span frame) override {
    auto m = msg::decode(frame);
    if (!m)
      return;
    auto* local = std::get_if<msg::local_message>(&*m);
    if (!local)
      return;
    if (auto* found = std::get_if<msg::peers_found>(local)) {
      ++reports;
      for (const std::string& a : found->addresses)
        addresses.push_back(a);
    } else if (auto* item = std::get_if<msg::item_found>(local)) {
      item_seqs.push_back(item->item.seq);
    }
  }
  bool saw(const std::string& address) const {
    return std::find(addresses.begin(), addresses.end(), address) != addresses.end();
  }
  std::vector<std::string> addresses;
  uint64_t reports = 0;
  std::vector<int64_t> item_seqs; ///< of each item_found, in order
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
  std::pair<component_id, probe*> add_probe(node_id id, uint16_t port = dht_port) {
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

  dht_lookup_result find_node(size_t index, const node_id& target) {
    return await<dht_lookup_result>(index, [&](dht& d, context& ctx, auto cb) { d.find_node(ctx, target, cb); });
  }
  dht_lookup_result lookup_peers(size_t index, const node_id& info_hash) {
    return await<dht_lookup_result>(index, [&](dht& d, context& ctx, auto cb) { d.lookup_peers(ctx, info_hash, cb); });
  }
  dht_lookup_result get_value(size_t index, const node_id& target) {
    return await<dht_lookup_result>(index, [&](dht& d, context& ctx, auto cb) { d.get_value(ctx, target, cb); });
  }
  dht_lookup_result get_value(size_t index, const public_key& k, const bytes& salt = {},
                              std::optional<int64_t> seq = std::nullopt) {
    return await<dht_lookup_result>(index, [&](dht& d, context& ctx, auto cb) { d.get_value(ctx, k, salt, cb, seq); });
  }
  dht_store_result announce(size_t index, const node_id& info_hash, uint16_t port) {
    return await<dht_store_result>(index, [&](dht& d, context& ctx, auto cb) { d.announce(ctx, info_hash, port, cb); });
  }
  dht_store_result put_value(size_t index, const bep44::mutable_item& item,
                             std::optional<int64_t> cas = std::nullopt) {
    return await<dht_store_result>(index, [&](dht& d, context& ctx, auto cb) { d.put_value(ctx, item, cas, cb); });
  }
  dht_store_result put_immutable(size_t index, const bytes& v) {
    return await<dht_store_result>(index, [&](dht& d, context& ctx, auto cb) { d.put_immutable(ctx, v, cb); });
  }

  /// The `count` node IDs closest to `target` among all nodes, by brute force.
  std::vector<node_id> true_closest(const node_id& target, size_t count) {
    std::vector<node_id> ids;
    for (size_t i = 0; i < nodes.size(); ++i)
      ids.push_back(node(i).id());
    std::sort(ids.begin(), ids.end(),
              [&](const node_id& a, const node_id& b) { return closer_to(target, a, b); });
    ids.resize(std::min(count, ids.size()));
    return ids;
  }
};

/// A component on node `index`'s host that talks to its DHT node as a local component does (a
/// swarm asking for topics, a feed service for items), recording what it hears back.
struct local_stand_in {
  dht_network& net;
  size_t node;
  component_id id;

  local_stand_in(dht_network& n, size_t index)
    : net(n), node(index), id(n.rt.spawn(std::make_unique<peers_recorder>(), n.hosts.at(index))) {}

  void tell(const msg::local_message& m) {
    net.rt.with(id, [&](component&, context& ctx) { ctx.send(net.nodes[node], msg::encode(m)); });
  }
  peers_recorder& heard() { return static_cast<peers_recorder&>(*net.rt.find(id)); }
};

} // namespace dynfeed::test
