// One DHT node against hand-made KRPC datagrams: write tokens, announce_peer (implied_port),
// the BEP 44 put rules and codes, get with seq, unknown methods, BEP 42 and BEP 43, rate limits,
// storage quotas, malformed and unsolicited datagrams. Every refusal is counted and changes
// nothing.

#include "dynfeed/discovery/dht.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/base/random.hpp"
#include "dynfeed/feed/bep44.hpp"
#include "dynfeed/krpc/bep42.hpp"
#include "dynfeed/krpc/codec.hpp"
#include "dynfeed/krpc/targets.hpp"
#include "support/dht_sim.hpp"
#include "support/print.hpp"
#include "support/values.hpp"

using namespace dynfeed;
using namespace dynfeed::test;
using namespace std::chrono_literals;

namespace {

/// One DHT node (index 0) and the probes that talk to it.
struct lab {
  dht_network net{7};
  uint16_t next_transaction = 1;

  explicit lab(dht_config config = {}) {
    net.add_node(config);
    net.rt.run_until(1ms);
  }

  dht& node() { return net.node(0); }
  endpoint target() { return net.address(0); }
  const discovery_stats& stats() { return node().stats(); }

  probe& add_probe(std::string_view name) {
    return *net.add_probe(id_of(name)).second;
  }

  /// Sends `q` from `p` and runs until the answer (or 1 s); the answer, if any.
  std::optional<krpc::message> ask_message(probe& p, krpc::query q, bool read_only = false) {
    bytes transaction = tid(next_transaction++);
    krpc::message m = p.message(transaction, std::move(q));
    m.read_only = read_only;
    p.send(target(), m);
    net.rt.run_until(net.rt.now() + 1s);
    return p.response_to(transaction);
  }
  /// The same, the answer's body only.
  std::optional<krpc::body> ask(probe& p, krpc::query q) {
    auto answer = ask_message(p, std::move(q));
    if (!answer)
      return std::nullopt;
    return answer->content;
  }

  bytes token(probe& p, krpc::query q) {
    auto answer = ask(p, std::move(q));
    BOOST_REQUIRE(answer && std::holds_alternative<krpc::response>(*answer));
    auto& r = std::get<krpc::response>(*answer);
    BOOST_REQUIRE(r.token.has_value());
    return *r.token;
  }
  bytes peers_token(probe& p, const node_id& info_hash) {
    return token(p, krpc::get_peers{info_hash});
  }
  bytes item_token(probe& p, const node_id& target_id) {
    return token(p, krpc::get{target_id, std::nullopt});
  }
};

bool is_ack(const std::optional<krpc::body>& b) {
  return b && std::holds_alternative<krpc::response>(*b);
}

/// The error code of an answer, 0 if it is not an error.
int64_t code_of(const std::optional<krpc::body>& b) {
  if (!b || !std::holds_alternative<krpc::error_reply>(*b))
    return 0;
  BOOST_TEST_MESSAGE("refused: " << std::get<krpc::error_reply>(*b).message);
  return std::get<krpc::error_reply>(*b).code;
}

krpc::announce_peer announce_of(const node_id& info_hash, uint16_t port, bytes token,
                                 bool implied_port = false) {
  krpc::announce_peer a;
  a.info_hash = info_hash;
  a.port = port;
  a.implied_port = implied_port;
  a.token = std::move(token);
  return a;
}

/// Key number 9's item under `salt`, as a put carries it.
krpc::mutable_put item(int64_t seq, std::string_view value, std::string_view salt = "salt") {
  bep44::mutable_item i = signed_item(key_number(9), seq, value, salt);
  return krpc::mutable_put{i.k, i.salt, i.seq, i.v, i.sig, std::nullopt};
}

node_id target_of_put(const krpc::mutable_put& m) {
  return krpc::mutable_target(m.k, m.salt);
}

} // namespace

BOOST_AUTO_TEST_SUITE(dht_abuse)

BOOST_AUTO_TEST_CASE(announce_needs_a_token_for_its_own_address) {
  dht_config config;
  config.token_rotation = 5min;
  lab l{config};
  probe& p = l.add_probe("p");
  probe& q = l.add_probe("q");
  node_id topic = id_of("topic");
  bytes token = l.peers_token(p, topic);
  BOOST_TEST(token.size() == 16u);

  // Missing, forged, another topic's, another address's: refused with 203, nothing stored.
  BOOST_TEST(code_of(l.ask(p, announce_of(topic, 7000, {}))) == 203);
  bytes forged = token;
  forged[0] ^= 1;
  BOOST_TEST(code_of(l.ask(p, announce_of(topic, 7000, forged))) == 203);
  bytes other_topic = l.peers_token(p, id_of("other topic"));
  BOOST_TEST(code_of(l.ask(p, announce_of(topic, 7000, other_topic))) == 203);
  BOOST_TEST(code_of(l.ask(q, announce_of(topic, 7000, token))) == 203);
  BOOST_TEST(l.stats().refused.bad_token == 4u);
  BOOST_TEST(l.node().storage().records() == 0u);
  BOOST_TEST(l.stats().records_held == 0u);
  BOOST_TEST(l.stats()[discovery_op::announce].errors_sent == 4u);

  // The right token stores the sender's own address, with the announced port.
  BOOST_TEST(is_ack(l.ask(p, announce_of(topic, 7000, token))));
  auto held = l.node().storage().peers(topic, 10, l.net.rt.now());
  BOOST_TEST_REQUIRE(held.size() == 1u);
  BOOST_TEST((held[0] == endpoint{p.local().ip, 7000}));
  BOOST_TEST(l.stats().records_held == 1u);
  // get_peers now returns it.
  auto answer = l.ask(q, krpc::get_peers{topic});
  BOOST_TEST_REQUIRE(is_ack(answer));
  BOOST_TEST((std::get<krpc::response>(*answer).values == held));
}

BOOST_AUTO_TEST_CASE(announce_with_implied_port_stores_the_source_port) {
  lab l;
  probe& p = l.add_probe("p");
  node_id topic = id_of("topic: behind a NAT");
  bytes token = l.peers_token(p, topic);
  // BEP 5: implied_port = 1 means "use the port my datagrams come from", whatever `port` says.
  BOOST_TEST(is_ack(l.ask(p, announce_of(topic, 7000, token, true))));
  auto held = l.node().storage().peers(topic, 10, l.net.rt.now());
  BOOST_TEST_REQUIRE(held.size() == 1u);
  BOOST_TEST((held[0] == p.local()));
  BOOST_TEST(p.local().port != 7000);
  // Without it, the port given.
  BOOST_TEST(is_ack(l.ask(p, announce_of(topic, 7000, token))));
  BOOST_TEST(l.node().storage().peers(topic, 10, l.net.rt.now()).size() == 2u);
}

BOOST_AUTO_TEST_CASE(responses_carry_our_version_and_the_address_we_see) {
  lab l;
  probe& p = l.add_probe("p");
  auto answer = l.ask_message(p, krpc::ping{});
  BOOST_TEST_REQUIRE(answer.has_value());
  BOOST_TEST((answer->sender == l.node().id()));
  BOOST_TEST_REQUIRE(answer->ip.has_value()); // BEP 42
  BOOST_TEST((*answer->ip == p.local()));
  BOOST_TEST_REQUIRE(answer->version.has_value());
  BOOST_TEST((*answer->version == bytes{'D', 'F', 0, 1}));
  BOOST_TEST((*answer->version == dht_config{}.version));
}

BOOST_AUTO_TEST_CASE(tokens_live_for_one_rotation_more) {
  dht_config config;
  config.token_rotation = 5min;
  lab l{config};
  probe& p = l.add_probe("p");
  node_id topic = id_of("topic");
  bytes token = l.peers_token(p, topic);
  l.net.rt.run_until(l.net.rt.now() + 6min); // one rotation: the previous secret still counts
  BOOST_TEST(is_ack(l.ask(p, announce_of(topic, 7000, token))));
  bytes token2 = l.peers_token(p, topic);
  l.net.rt.run_until(l.net.rt.now() + 10min); // two rotations: expired
  BOOST_TEST(code_of(l.ask(p, announce_of(topic, 7001, token2))) == 203);
  BOOST_TEST(l.stats().refused.bad_token == 1u);
  BOOST_TEST(l.node().storage().peers(topic, 10, l.net.rt.now()).size() == 1u);
}

BOOST_AUTO_TEST_CASE(announce_of_port_zero_is_refused) {
  lab l;
  probe& p = l.add_probe("p");
  node_id topic = id_of("topic");
  bytes token = l.peers_token(p, topic);
  BOOST_TEST(code_of(l.ask(p, announce_of(topic, 0, token))) == 203);
  BOOST_TEST(l.stats().refused.malformed == 1u);
  BOOST_TEST(l.node().storage().records() == 0u);
}

BOOST_AUTO_TEST_CASE(mutable_puts_follow_bep44_with_its_codes) {
  lab l;
  probe& p = l.add_probe("p");
  krpc::mutable_put v1 = item(1, "one");
  node_id target = target_of_put(v1);
  bytes token = l.item_token(p, target);
  auto put = [&](krpc::mutable_put m, std::optional<int64_t> cas = std::nullopt, bytes t = {}) {
    m.cas = cas;
    return l.ask(p, krpc::put{std::move(m), t.empty() ? token : t});
  };
  BOOST_TEST(is_ack(put(v1)));
  BOOST_TEST(l.stats().records_held == 1u);
  BOOST_TEST(code_of(put(item(0, "zero"))) == 302);            // seq not newer
  BOOST_TEST(code_of(put(item(1, "another one"))) == 302);     // same seq, another value
  BOOST_TEST(code_of(put(item(2, "two"), int64_t{7})) == 301); // CAS against seq 1
  krpc::mutable_put forged = item(3, "three");
  forged.sig.bytes[10] ^= 0x40;
  BOOST_TEST(code_of(put(forged)) == 206);                     // bad signature
  krpc::mutable_put wrong_v = item(3, "three");
  wrong_v.v = bencoded("four"); // signed for another value
  BOOST_TEST(code_of(put(wrong_v)) == 206);
  krpc::mutable_put too_large = item(4, "x");
  too_large.v = bencoded(std::string(1000, 'x')); // 1005 bytes bencoded
  BOOST_TEST(code_of(put(too_large)) == 205);                  // before the token or signature
  krpc::mutable_put salty = item(1, "salty");
  salty.salt = bytes(65, 's');
  BOOST_TEST(code_of(put(salty)) == 207);
  krpc::mutable_put negative = item(5, "five");
  negative.seq = -1;
  BOOST_TEST(code_of(put(negative)) == 203);
  BOOST_TEST(code_of(put(item(5, "five"), std::nullopt, bytes(16, 0))) == 203); // bad token
  krpc::mutable_put other_salt = item(5, "five", "other salt"); // a token for another target
  BOOST_TEST(code_of(put(other_salt)) == 203);
  BOOST_TEST(l.stats().refused.bad_value == 8u);
  BOOST_TEST(l.stats().refused.bad_token == 2u);
  BOOST_TEST(l.stats()[discovery_op::put_value].errors_sent == 10u);
  // Nothing of that changed the held item.
  auto held = l.node().storage().item(target, l.net.rt.now());
  BOOST_TEST_REQUIRE(held.has_value());
  BOOST_TEST(std::get<bep44::mutable_item>(*held).seq == 1);
  BOOST_TEST(l.node().storage().records() == 1u);
  // A good update with the right CAS, and get returns it, verifiable.
  BOOST_TEST(is_ack(put(item(2, "two"), int64_t{1})));
  auto answer = l.ask(p, krpc::get{target, std::nullopt});
  BOOST_TEST_REQUIRE(is_ack(answer));
  auto& r = std::get<krpc::response>(*answer);
  BOOST_TEST_REQUIRE((r.v && r.k && r.seq && r.sig));
  BOOST_TEST(*r.seq == 2);
  bep44::mutable_item got{*r.k, text("salt"), *r.seq, *r.v, *r.sig};
  BOOST_TEST(bep44::verify(got).has_value());
}

BOOST_AUTO_TEST_CASE(get_with_seq_leaves_out_what_the_asker_has) {
  lab l;
  probe& p = l.add_probe("p");
  krpc::mutable_put v3 = item(3, "three");
  node_id target = target_of_put(v3);
  BOOST_TEST_REQUIRE(is_ack(l.ask(p, krpc::put{v3, l.item_token(p, target)})));
  for (int64_t asked : {3, 7}) {
    auto answer = l.ask(p, krpc::get{target, asked});
    BOOST_TEST_REQUIRE(is_ack(answer));
    auto& r = std::get<krpc::response>(*answer);
    BOOST_TEST((!r.v && !r.k && !r.sig)); // held seq 3 is not newer
    BOOST_TEST_REQUIRE(r.seq.has_value());
    BOOST_TEST(*r.seq == 3);
    BOOST_TEST(r.token.has_value());
  }
  auto answer = l.ask(p, krpc::get{target, int64_t{2}});
  BOOST_TEST_REQUIRE(is_ack(answer));
  auto& r = std::get<krpc::response>(*answer);
  BOOST_TEST((r.v && r.k && r.sig));
  BOOST_TEST((*r.v == v3.v));
}

BOOST_AUTO_TEST_CASE(immutable_puts_are_stored_under_their_hash) {
  lab l;
  probe& p = l.add_probe("p");
  bytes v = bencoded("Hello World!");
  node_id target = krpc::immutable_target(v);
  bytes token = l.item_token(p, target);
  BOOST_TEST(is_ack(l.ask(p, krpc::put{krpc::immutable_put{v}, token})));
  auto answer = l.ask(p, krpc::get{target, std::nullopt});
  BOOST_TEST_REQUIRE(is_ack(answer));
  auto& r = std::get<krpc::response>(*answer);
  BOOST_TEST_REQUIRE(r.v.has_value());
  BOOST_TEST((*r.v == v));
  BOOST_TEST((!r.k && !r.sig && !r.seq));
  // Too large (205), a token for another target (203). (A `v` that is not bencode cannot
  // arrive: it is a value of the bencoded datagram.)
  bytes large = bencoded(std::string(1000, 'x'));
  BOOST_TEST(code_of(l.ask(p, krpc::put{krpc::immutable_put{large}, l.item_token(p, krpc::immutable_target(large))})) == 205);
  BOOST_TEST(code_of(l.ask(p, krpc::put{krpc::immutable_put{bencoded("other")}, token})) == 203);
  BOOST_TEST(l.stats().refused.bad_value == 1u);
  BOOST_TEST(l.stats().refused.bad_token == 1u);
  BOOST_TEST(l.node().storage().records() == 1u);
}

BOOST_AUTO_TEST_CASE(unknown_methods_get_error_204) {
  lab l;
  probe& p = l.add_probe("p");
  auto answer = l.ask(p, krpc::unknown_query{"sample_infohashes"});
  BOOST_TEST(code_of(answer) == 204);
  BOOST_TEST(l.stats().refused.malformed == 1u);
  // The asker is a node like any other: it enters the table.
  BOOST_TEST(l.node().table().size() == 1u);
}

BOOST_AUTO_TEST_CASE(read_only_nodes_stay_out_of_the_routing_table) {
  lab l;
  probe& ro = l.add_probe("read-only");
  probe& rw = l.add_probe("read-write");
  // BEP 43: a node that says ro = 1 is answered, but never asked: no place in the table.
  auto answer = l.ask_message(ro, krpc::find_node{id_of("x")}, true);
  BOOST_TEST_REQUIRE(answer.has_value());
  BOOST_TEST(is_ack(answer->content));
  BOOST_TEST(l.node().table().empty());
  BOOST_TEST(l.ask_message(rw, krpc::find_node{id_of("x")}).has_value());
  BOOST_TEST(l.node().table().size() == 1u);
  BOOST_TEST((l.node().table().find(rw.id()) != nullptr));
}

BOOST_AUTO_TEST_CASE(bep42_when_enforced_keeps_out_ids_that_do_not_match_the_address) {
  uint32_t public_ip = 0x7c1f4b15; // 124.31.75.21, not exempt
  for (bool enforce : {false, true}) {
    dht_config config;
    config.enforce_bep42 = enforce;
    config.external_ip = 0x15152b01; // 21.21.43.1: our own ID is derived from it when enforcing
    lab l{config};
    BOOST_TEST(krpc::bep42::is_valid(l.node().id(), config.external_ip) == enforce);
    node_id made_up = id_of("made up");
    if (krpc::bep42::is_valid(made_up, public_ip))
      made_up.bytes[0] ^= 0xff;
    node_id valid = krpc::bep42::make_id(public_ip, 3, id_of("random bits"));
    // Two probes at the public address (one host, two ports) and one at an exempt address.
    sim::host_id h = l.net.rt.add_host(sim::host_config{public_ip, 0, 0, 0});
    std::vector<probe*> probes;
    for (auto [id, port] : {std::pair{made_up, uint16_t{6881}}, std::pair{valid, uint16_t{6882}}}) {
      l.net.rt.open_datagram(h, port, [&, id = id](datagram_socket& s) {
        auto made = std::make_unique<probe>(s, id);
        probes.push_back(made.get());
        return made;
      });
    }
    probe& exempt = l.add_probe("exempt");
    for (probe* pr : probes)
      BOOST_TEST(is_ack(l.ask(*pr, krpc::ping{}))); // answered either way
    BOOST_TEST(is_ack(l.ask(exempt, krpc::ping{})));
    const routing_table& t = l.node().table();
    BOOST_TEST((t.find(made_up) == nullptr) == enforce);
    BOOST_TEST((t.find(exempt.id()) != nullptr));
    if (enforce)
      BOOST_TEST((t.find(valid) != nullptr)); // (off, one node per address keeps it out)
  }
}

BOOST_AUTO_TEST_CASE(queries_over_the_rate_limit_are_dropped) {
  dht_config config;
  config.queries_per_s = 10;
  config.query_burst = 20;
  lab l{config};
  probe& flood = l.add_probe("flood");
  probe& calm = l.add_probe("calm");
  clock_time start = l.net.rt.now();
  for (uint16_t t = 1; t <= 100; ++t)
    flood.query(l.target(), tid(t), krpc::ping{});
  l.net.rt.run_until(start + 50ms);
  BOOST_TEST(flood.received.size() == 20u); // the burst
  BOOST_TEST(l.stats().refused.rate_limited == 80u);
  BOOST_TEST(l.stats()[discovery_op::ping].queries_received == 100u);
  BOOST_TEST(l.stats()[discovery_op::ping].responses_sent == 20u);
  // Another source is not affected.
  calm.query(l.target(), tid(1), krpc::ping{});
  l.net.rt.run_until(start + 100ms);
  BOOST_TEST(calm.received.size() == 1u);
  // A second later the bucket has refilled by ten.
  l.net.rt.run_until(start + 1s);
  for (uint16_t t = 101; t <= 150; ++t)
    flood.query(l.target(), tid(t), krpc::ping{});
  l.net.rt.run_until(start + 1s + 50ms);
  BOOST_TEST(flood.received.size() == 30u);
  BOOST_TEST(l.stats().refused.rate_limited == 120u);
}

BOOST_AUTO_TEST_CASE(a_flooding_source_cannot_evict_an_honest_record) {
  dht_config config;
  config.storage.peers_per_topic_max = 4;
  config.storage.records_per_source_max = 3;
  config.storage.topics_max = 8;
  config.queries_per_s = 100000; // this test is about storage, not rates
  config.query_burst = 100000;
  lab l{config};
  std::vector<probe*> honest;
  node_id shared = id_of("shared topic");
  node_id own = id_of("honest topic");
  for (int i = 0; i < 4; ++i)
    honest.push_back(&l.add_probe("honest " + std::to_string(i)));
  for (probe* h : honest)
    BOOST_TEST_REQUIRE(is_ack(l.ask(*h, announce_of(shared, 7000, l.peers_token(*h, shared)))));
  BOOST_TEST_REQUIRE(is_ack(l.ask(*honest[0], announce_of(own, 7000, l.peers_token(*honest[0], own)))));
  // The flooder announces 200 topics (including both honest ones) on many ports.
  probe& flooder = l.add_probe("flooder");
  size_t stored = 0;
  size_t refused = 0;
  for (int i = 0; i < 200; ++i) {
    node_id topic = i % 10 == 0 ? shared : i % 10 == 1 ? own : id_of("junk " + std::to_string(i));
    auto answer = l.ask(flooder, announce_of(topic, static_cast<uint16_t>(1000 + i),
                                             l.peers_token(flooder, topic)));
    stored += is_ack(answer);
    refused += code_of(answer) == 202;
  }
  BOOST_TEST(stored > 100u);
  BOOST_TEST(refused == 20u); // the full shared topic, every time
  BOOST_TEST(l.stats().refused.storage_full == 20u);
  clock_time now = l.net.rt.now();
  auto shared_peers = l.node().storage().peers(shared, 10, now);
  BOOST_TEST(shared_peers.size() == 4u);
  for (probe* h : honest)
    BOOST_TEST((std::find(shared_peers.begin(), shared_peers.end(), endpoint{h->local().ip, 7000})
                != shared_peers.end()));
  auto own_peers = l.node().storage().peers(own, 10, now);
  BOOST_TEST((std::find(own_peers.begin(), own_peers.end(), endpoint{honest[0]->local().ip, 7000})
              != own_peers.end()));
  BOOST_TEST(l.node().storage().held_by(flooder.local().ip) <= 3u);
  BOOST_TEST(l.stats().records_held == 5u + l.node().storage().held_by(flooder.local().ip));
}

BOOST_AUTO_TEST_CASE(malformed_datagrams_are_counted_and_harmless) {
  lab l;
  probe& p = l.add_probe("p");
  node_id topic = id_of("topic");
  BOOST_TEST_REQUIRE(is_ack(l.ask(p, announce_of(topic, 7000, l.peers_token(p, topic)))));
  size_t table_before = l.node().table().size();
  rng r{5};
  // Random bytes, and valid datagrams with bytes changed (or cut short).
  bytes valid = krpc::encode(p.message(tid(99), announce_of(topic, 7001, bytes(16, 1))));
  size_t sent = 0;
  for (int i = 0; i < 500; ++i) {
    bytes d(r.below(200));
    for (auto& b : d)
      b = static_cast<uint8_t>(r.next());
    p.send_raw(l.target(), d);
    bytes m = valid;
    m[r.below(m.size())] ^= static_cast<uint8_t>(1 + r.below(255));
    p.send_raw(l.target(), m);
    p.send_raw(l.target(), bytes(valid.begin(), valid.begin() + static_cast<std::ptrdiff_t>(r.below(valid.size()))));
    sent += 3;
    if (i % 20 == 19)
      l.net.rt.run_until(l.net.rt.now() + 1s); // stay under the rate limit
  }
  l.net.rt.run_until(l.net.rt.now() + 1s);
  const discovery_stats& s = l.stats();
  BOOST_TEST_MESSAGE(s.refused.malformed << " malformed, " << s.refused.unsolicited
                                         << " unsolicited, " << s.refused.bad_token << " bad tokens of " << sent);
  BOOST_TEST(s.datagrams_received >= sent);
  BOOST_TEST(s.refused.malformed >= 500u);
  // Whatever decoded was refused too: nothing new stored, the record is intact, the node
  // still answers.
  BOOST_TEST(l.node().storage().records() == 1u);
  BOOST_TEST(l.node().storage().peers(topic, 10, l.net.rt.now()).size() == 1u);
  BOOST_TEST(l.node().table().size() == table_before);
  BOOST_TEST(is_ack(l.ask(p, krpc::ping{})));
}

BOOST_AUTO_TEST_CASE(unsolicited_responses_are_counted_and_harmless) {
  lab l;
  probe& p = l.add_probe("p");
  probe& other = l.add_probe("other");
  // Responses to queries nobody sent, carrying made-up nodes.
  krpc::response fake;
  for (uint32_t i = 0; i < 8; ++i)
    fake.nodes.push_back(krpc::node_info{id_of("fake " + std::to_string(i)), endpoint{0x0c000000 + i, 1}});
  for (uint16_t t = 1; t <= 10; ++t) {
    p.send(l.target(), p.message(tid(t), fake));
    p.send(l.target(), p.message(bytes{1, 2, 3, static_cast<uint8_t>(t)}, krpc::response{}));
  }
  l.net.rt.run_until(l.net.rt.now() + 1s);
  BOOST_TEST(l.stats().refused.unsolicited == 20u);
  BOOST_TEST(l.node().table().empty());
  // A response from the wrong address to a real query: the node pings p, `other` answers
  // with the transaction p saw.
  std::optional<bool> pinged;
  l.net.with(0, [&](dht& d, context& ctx) { d.ping(ctx, p.local(), [&](bool ok) { pinged = ok; }); });
  l.net.rt.run_until(l.net.rt.now() + 100ms);
  auto queries = p.decoded();
  BOOST_TEST_REQUIRE(!queries.empty());
  bytes transaction = queries.back().transaction;
  BOOST_TEST(transaction.size() == 4u); // ours: 4 bytes
  other.send(l.target(), other.message(transaction, krpc::response{}));
  l.net.rt.run_until(l.net.rt.now() + 100ms);
  BOOST_TEST(l.stats().refused.unsolicited == 21u);
  BOOST_TEST(!pinged.has_value());
  // The right address answers: the ping succeeds, the answer counted once.
  p.send(l.target(), p.message(transaction, krpc::response{}));
  l.net.rt.run_until(l.net.rt.now() + 100ms);
  BOOST_TEST_REQUIRE(pinged.has_value());
  BOOST_TEST(*pinged);
  BOOST_TEST(l.stats()[discovery_op::ping].responses_received == 1u);
  // The same answer again is unsolicited: the transaction is closed.
  p.send(l.target(), p.message(transaction, krpc::response{}));
  l.net.rt.run_until(l.net.rt.now() + 100ms);
  BOOST_TEST(l.stats().refused.unsolicited == 22u);
  BOOST_TEST(l.node().table().size() == 1u); // p, which answered
}

BOOST_AUTO_TEST_CASE(a_malformed_answer_is_no_answer) {
  lab l;
  probe& p = l.add_probe("p");
  std::optional<bool> pinged;
  l.net.with(0, [&](dht& d, context& ctx) { d.ping(ctx, p.local(), [&](bool ok) { pinged = ok; }); });
  l.net.rt.run_until(l.net.rt.now() + 100ms);
  bytes transaction = p.decoded().back().transaction;
  // An item's fields in the answer to a ping: it makes no sense, so the node is not added.
  krpc::response nonsense;
  nonsense.v = bencoded("x");
  p.send(l.target(), p.message(transaction, nonsense));
  l.net.rt.run_until(l.net.rt.now() + 100ms);
  BOOST_TEST_REQUIRE(pinged.has_value());
  BOOST_TEST(!*pinged);
  BOOST_TEST(l.stats().refused.malformed == 1u);
  BOOST_TEST(l.node().table().empty());
}

BOOST_AUTO_TEST_CASE(timeouts_are_counted) {
  lab l;
  probe& silent = l.add_probe("silent");
  std::optional<bool> pinged;
  l.net.with(0, [&](dht& d, context& ctx) { d.ping(ctx, silent.local(), [&](bool ok) { pinged = ok; }); });
  l.net.rt.run_until(l.net.rt.now() + 1900ms);
  BOOST_TEST(!pinged.has_value());
  l.net.rt.run_until(l.net.rt.now() + 200ms);
  BOOST_TEST_REQUIRE(pinged.has_value());
  BOOST_TEST(!*pinged);
  BOOST_TEST(l.stats()[discovery_op::ping].timeouts == 1u);
  BOOST_TEST(l.stats()[discovery_op::ping].queries_sent == 1u);
  BOOST_TEST(l.node().queries_pending() == 0u);
}

BOOST_AUTO_TEST_CASE(lookups_without_nodes_fail_cleanly) {
  lab l;
  std::optional<dht_lookup_result> result;
  l.net.with(0, [&](dht& d, context& ctx) {
    d.find_node(ctx, id_of("x"), [&](const dht_lookup_result& r) { result = r; });
  });
  BOOST_TEST_REQUIRE(result.has_value());
  BOOST_TEST(result->err.is(dht_errc::no_nodes));
}

BOOST_AUTO_TEST_SUITE_END()
