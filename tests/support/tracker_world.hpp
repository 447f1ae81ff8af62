#pragma once

/// A simulated world for tracker tests: a tracker server on one host, probes (datagram
/// components that send whatever a test hands them and keep what arrives) on others, and
/// nodes made of a tracker client and a requester (a stand-in for a swarm).

#include "dynfeed/messages/codec.hpp"
#include "dynfeed/messages/tracker_codec.hpp"
#include "dynfeed/discovery/tracker.hpp"
#include "dynfeed/sim/runtime.hpp"

#include <boost/test/unit_test.hpp>

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace dynfeed::test {

constexpr uint32_t ipv4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return a << 24 | b << 16 | c << 8 | d;
}

inline hash256 topic_number(uint8_t n) {
  return hash256::from(bytes(32, n));
}

/// Sends what the test asks, from its bound address, and keeps every datagram it receives.
class probe final : public datagram_component {
public:
  explicit probe(datagram_socket& socket) : socket_(socket) {}
  void on_message(context&, component_id, byte_span) override {}
  void on_datagram(context&, const endpoint& from, byte_span datagram) override {
    inbox.emplace_back(from, datagram.to_bytes());
  }
  void send(const endpoint& to, bytes datagram) { socket_.send_to(to, std::move(datagram)); }
  endpoint local() const { return socket_.local(); }

  std::vector<std::pair<endpoint, bytes>> inbox;

private:
  datagram_socket& socket_;
};

/// Asks its node's discovery component for a topic, as a swarm does, and keeps what it hears.
class requester final : public component {
public:
  requester(component_id discovery, hash256 topic, bool announce)
    : discovery_(discovery), topic_(topic), announce_(announce) {}

  void on_start(context& ctx) override {
    ctx.send(discovery_, msg::encode(msg::local_message{msg::find_peers{topic_, announce_}}));
  }
  void on_message(context&, component_id, byte_span frame) override {
    auto decoded = msg::decode(frame);
    BOOST_REQUIRE(decoded.has_value());
    auto* local = std::get_if<msg::local_message>(&*decoded);
    BOOST_REQUIRE(local);
    auto* found = std::get_if<msg::peers_found>(local);
    BOOST_REQUIRE(found);
    BOOST_REQUIRE(found->topic == topic_);
    ++reports;
    for (const std::string& a : found->addresses)
      addresses.insert(a);
  }
  void stop(context& ctx) {
    ctx.send(discovery_, msg::encode(msg::local_message{msg::stop_finding{topic_}}));
  }

  std::set<std::string> addresses;
  uint64_t reports = 0;

private:
  component_id discovery_;
  hash256 topic_;
  bool announce_;
};

struct tracker_world {
  static constexpr uint16_t tracker_port = 6881;
  static constexpr uint16_t client_port = 6000;

  sim::runtime rt;
  endpoint tracker_at{ipv4(10, 0, 0, 1), tracker_port};
  component_id server = no_component;
  uint32_t next_ip = ipv4(10, 0, 1, 1);

  explicit tracker_world(uint64_t seed, const tracker_server_config& config = {},
                         sim::network_config net = {})
    : rt(seed, std::move(net)) {
    sim::host_id h = rt.add_host({tracker_at.ip, 0});
    server = rt.open_datagram(h, tracker_port, [&](datagram_socket& s) {
      return std::make_unique<tracker_server>(s, config);
    });
  }

  tracker_server& srv() { return static_cast<tracker_server&>(*rt.find(server)); }
  const discovery_stats& server_stats() { return srv().stats(); }

  component_id add_probe(uint32_t ip, uint16_t port = 5000) {
    sim::host_id h = rt.add_host({ip, 0});
    return rt.open_datagram(h, port, [](datagram_socket& s) { return std::make_unique<probe>(s); });
  }
  probe& get_probe(component_id id) { return static_cast<probe&>(*rt.find(id)); }

  /// Sends raw bytes from a probe and runs the world for `wait`; returns what came back.
  std::vector<std::pair<endpoint, bytes>> exchange(component_id from, bytes datagram,
                                                   clock_time wait = std::chrono::seconds{1},
                                                   const endpoint* to = nullptr) {
    probe& p = get_probe(from);
    p.inbox.clear();
    p.send(to ? *to : tracker_at, std::move(datagram));
    rt.run_until(rt.now() + wait);
    auto out = std::move(get_probe(from).inbox);
    get_probe(from).inbox.clear();
    return out;
  }

  /// Sends a packet and returns the one reply, decoded (the test fails if there is not one).
  msg::tracker::packet ask(component_id from, const msg::tracker::packet& p) {
    auto replies = exchange(from, msg::tracker::encode(p));
    BOOST_REQUIRE_EQUAL(replies.size(), 1u);
    BOOST_REQUIRE(replies[0].first == tracker_at);
    auto decoded = msg::tracker::decode(replies[0].second);
    BOOST_REQUIRE(decoded.has_value());
    BOOST_REQUIRE_EQUAL(decoded->transaction, p.transaction);
    return std::move(*decoded);
  }

  msg::tracker::lookup_reply lookup(component_id from, const hash256& topic, uint16_t port = 0) {
    auto reply = ask(from, {next_transaction++, msg::tracker::lookup{topic, port}});
    auto* r = std::get_if<msg::tracker::lookup_reply>(&reply.what);
    BOOST_REQUIRE(r);
    return std::move(*r);
  }

  /// Announces with `token`; returns the error code (0: stored).
  uint16_t announce(component_id from, const hash256& topic, uint16_t port, const bytes& token) {
    auto reply = ask(from, {next_transaction++, msg::tracker::announce{topic, port, token}});
    if (std::holds_alternative<msg::tracker::announce_reply>(reply.what))
      return 0;
    auto* e = std::get_if<msg::tracker::error_reply>(&reply.what);
    BOOST_REQUIRE(e);
    BOOST_TEST_MESSAGE("announce refused: " << e->message);
    return e->code;
  }

  /// A lookup for a token, then the announce.
  uint16_t join(component_id from, const hash256& topic, uint16_t port) {
    return announce(from, topic, port, lookup(from, topic).token);
  }

  // ---- nodes: a tracker client and a requester on one host ---------------------------------

  struct node {
    sim::host_id host = 0;
    endpoint address; ///< what it announces (its IP and announce port)
    component_id client = no_component;
    component_id asker = no_component;
  };

  node add_node(const hash256& topic, bool announce, tracker_client_config config,
                uint16_t announce_port = 7000) {
    node n;
    n.address = endpoint{next_ip++, announce_port};
    n.host = rt.add_host({n.address.ip, 0});
    if (config.trackers.empty())
      config.trackers = {tracker_at};
    config.announce_port = announce_port;
    n.client = rt.open_datagram(n.host, client_port, [&](datagram_socket& s) {
      return std::make_unique<tracker_client>(s, config);
    });
    n.asker = rt.spawn(std::make_unique<requester>(n.client, topic, announce), n.host);
    return n;
  }

  tracker_client& client(const node& n) { return static_cast<tracker_client&>(*rt.find(n.client)); }
  requester& asker(const node& n) { return static_cast<requester&>(*rt.find(n.asker)); }

  void stop(const node& n) {
    rt.with(n.asker, [](component& c, context& ctx) { static_cast<requester&>(c).stop(ctx); });
  }

  uint64_t next_transaction = 1;
};

} // namespace dynfeed::test
