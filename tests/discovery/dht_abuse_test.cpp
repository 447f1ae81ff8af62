// One DHT node against hand-made datagrams: write tokens, the BEP 44 put rules and codes, rate
// limits, storage quotas, malformed and unsolicited datagrams. Every refusal is counted and
// changes nothing.

#include "dynfeed/discovery/dht.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/base/random.hpp"
#include "dynfeed/feed/bep44.hpp"
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
  uint64_t next_transaction = 1;

  explicit lab(dht_config config = {}) {
    net.add_node(config);
    net.rt.run_until(1ms);
  }

  dht& node() { return net.node(0); }
  endpoint target() { return net.address(0); }
  const discovery_stats& stats() { return node().stats(); }

  probe& add_probe(std::string_view name) {
    return *net.add_probe(hash_of(name)).second;
  }

  /// Sends `body` from `p` and runs until the answer (or 1 s); the answer's body, if any.
  std::optional<msg::dht_body> ask(probe& p, msg::dht_body body) {
    uint64_t transaction = next_transaction++;
    p.query(target(), transaction, std::move(body));
    net.rt.run_until(net.rt.now() + 1s);
    auto answer = p.response_to(transaction);
    if (!answer)
      return std::nullopt;
    return answer->body;
  }

  bytes peers_token(probe& p, const hash256& topic) {
    auto answer = ask(p, msg::dht_get_peers{topic});
    BOOST_REQUIRE(answer && std::holds_alternative<msg::dht_peers>(*answer));
    return std::get<msg::dht_peers>(*answer).token;
  }
  bytes value_token(probe& p, const hash256& target_id) {
    auto answer = ask(p, msg::dht_get_value{target_id});
    BOOST_REQUIRE(answer && std::holds_alternative<msg::dht_value_response>(*answer));
    return std::get<msg::dht_value_response>(*answer).token;
  }
};

bool is_ack(const std::optional<msg::dht_body>& b) {
  return b && std::holds_alternative<msg::dht_ack>(*b);
}

/// The error code of an answer, 0 if it is not an error.
uint16_t code_of(const std::optional<msg::dht_body>& b) {
  if (!b || !std::holds_alternative<msg::dht_error>(*b))
    return 0;
  BOOST_TEST_MESSAGE("refused: " << std::get<msg::dht_error>(*b).message);
  return std::get<msg::dht_error>(*b).code;
}

msg::dht_value item(uint64_t seq, std::string_view value, std::string_view salt = "salt") {
  keypair kp = key_number(9);
  value_feed_def def = single_key_feed(kp.pk, text(salt));
  return msg::dht_value{def, make_signed_value(def, seq, text(value), kp.sk)};
}

} // namespace

BOOST_AUTO_TEST_SUITE(dht_abuse)

BOOST_AUTO_TEST_CASE(announce_needs_a_token_for_its_own_address) {
  dht_config config;
  config.token_rotation = 5min;
  lab l{config};
  probe& p = l.add_probe("p");
  probe& q = l.add_probe("q");
  hash256 topic = hash_of("topic");
  bytes token = l.peers_token(p, topic);
  BOOST_TEST(token.size() == 16u);

  // Missing, forged, another topic's, another address's: refused with 203, nothing stored.
  BOOST_TEST(code_of(l.ask(p, msg::dht_announce{topic, 7000, {}})) == 203);
  bytes forged = token;
  forged[0] ^= 1;
  BOOST_TEST(code_of(l.ask(p, msg::dht_announce{topic, 7000, forged})) == 203);
  bytes other_topic = l.peers_token(p, hash_of("other topic"));
  BOOST_TEST(code_of(l.ask(p, msg::dht_announce{topic, 7000, other_topic})) == 203);
  BOOST_TEST(code_of(l.ask(q, msg::dht_announce{topic, 7000, token})) == 203);
  BOOST_TEST(l.stats().refused.bad_token == 4u);
  BOOST_TEST(l.node().storage().records() == 0u);
  BOOST_TEST(l.stats().records_held == 0u);
  BOOST_TEST(l.stats()[discovery_op::announce].errors_sent == 4u);

  // The right token stores the sender's own address, with the announced port.
  BOOST_TEST(is_ack(l.ask(p, msg::dht_announce{topic, 7000, token})));
  auto held = l.node().storage().peers(topic, 10, l.net.rt.now());
  BOOST_TEST_REQUIRE(held.size() == 1u);
  BOOST_TEST((held[0] == endpoint{p.local().ip, 7000}));
  BOOST_TEST(l.stats().records_held == 1u);
  // get_peers now returns it.
  auto answer = l.ask(q, msg::dht_get_peers{topic});
  BOOST_TEST_REQUIRE(answer.has_value());
  BOOST_TEST((std::get<msg::dht_peers>(*answer).peers == held));
}

BOOST_AUTO_TEST_CASE(tokens_live_for_one_rotation_more) {
  dht_config config;
  config.token_rotation = 5min;
  lab l{config};
  probe& p = l.add_probe("p");
  hash256 topic = hash_of("topic");
  bytes token = l.peers_token(p, topic);
  l.net.rt.run_until(l.net.rt.now() + 6min); // one rotation: the previous secret still counts
  BOOST_TEST(is_ack(l.ask(p, msg::dht_announce{topic, 7000, token})));
  bytes token2 = l.peers_token(p, topic);
  l.net.rt.run_until(l.net.rt.now() + 10min); // two rotations: gone
  BOOST_TEST(code_of(l.ask(p, msg::dht_announce{topic, 7001, token2})) == 203);
  BOOST_TEST(l.stats().refused.bad_token == 1u);
  BOOST_TEST(l.node().storage().peers(topic, 10, l.net.rt.now()).size() == 1u);
}

BOOST_AUTO_TEST_CASE(announce_of_port_zero_is_refused) {
  lab l;
  probe& p = l.add_probe("p");
  hash256 topic = hash_of("topic");
  bytes token = l.peers_token(p, topic);
  BOOST_TEST(code_of(l.ask(p, msg::dht_announce{topic, 0, token})) == 203);
  BOOST_TEST(l.stats().refused.malformed == 1u);
  BOOST_TEST(l.node().storage().records() == 0u);
}

BOOST_AUTO_TEST_CASE(puts_follow_bep44_with_its_codes) {
  lab l;
  probe& p = l.add_probe("p");
  msg::dht_value v1 = item(1, "one");
  hash256 target = v1.def.id();
  bytes token = l.value_token(p, target);
  auto put = [&](msg::dht_value v, std::optional<uint64_t> cas = std::nullopt, bytes t = {}) {
    return l.ask(p, msg::dht_put_value{std::move(v), cas, t.empty() ? token : t});
  };
  BOOST_TEST(is_ack(put(v1)));
  BOOST_TEST(l.stats().records_held == 1u);
  BOOST_TEST(code_of(put(item(0, "zero"))) == 302);      // stale
  BOOST_TEST(code_of(put(item(2, "two"), uint64_t{7})) == 301); // CAS against seq 1
  msg::dht_value forged = item(3, "three");
  forged.value.sigs[0].sig.bytes[10] ^= 0x40;
  BOOST_TEST(code_of(put(forged)) == 206);              // bad signature
  msg::dht_value unsigned_value = item(3, "three");
  unsigned_value.value.sigs.clear();
  BOOST_TEST(code_of(put(unsigned_value)) == 206);      // no signature
  BOOST_TEST(code_of(put(item(4, std::string(1001, 'x')))) == 205); // value too large
  msg::dht_value salty = item(1, "salty", std::string(65, 's'));
  BOOST_TEST(code_of(put(salty, std::nullopt, l.value_token(p, salty.def.id()))) == 207);
  BOOST_TEST(code_of(put(item(5, "five"), std::nullopt, bytes(16, 0))) == 203); // bad token
  BOOST_TEST(l.stats().refused.bad_value == 6u);
  BOOST_TEST(l.stats().refused.bad_token == 1u);
  BOOST_TEST(l.stats()[discovery_op::put_value].errors_sent == 7u);
  // Nothing of that changed the held value.
  auto held = l.node().storage().value(target, l.net.rt.now());
  BOOST_TEST_REQUIRE(held.has_value());
  BOOST_TEST((held->value == v1.value));
  // A good update with the right CAS, and get_value returns it.
  BOOST_TEST(is_ack(put(item(2, "two"), uint64_t{1})));
  auto answer = l.ask(p, msg::dht_get_value{target});
  BOOST_TEST_REQUIRE(answer.has_value());
  auto& response = std::get<msg::dht_value_response>(*answer);
  BOOST_TEST_REQUIRE(response.item.has_value());
  BOOST_TEST(response.item->value.seq == 2u);
  BOOST_TEST(verify_value(response.item->def, response.item->value).has_value());
}

BOOST_AUTO_TEST_CASE(queries_over_the_rate_limit_are_dropped) {
  dht_config config;
  config.queries_per_s = 10;
  config.query_burst = 20;
  lab l{config};
  probe& flood = l.add_probe("flood");
  probe& calm = l.add_probe("calm");
  clock_time start = l.net.rt.now();
  for (uint64_t t = 1; t <= 100; ++t)
    flood.query(l.target(), t, msg::dht_ping{});
  l.net.rt.run_until(start + 50ms);
  BOOST_TEST(flood.received.size() == 20u); // the burst
  BOOST_TEST(l.stats().refused.rate_limited == 80u);
  BOOST_TEST(l.stats()[discovery_op::ping].queries_received == 100u);
  BOOST_TEST(l.stats()[discovery_op::ping].responses_sent == 20u);
  // Another source is not affected.
  calm.query(l.target(), 1, msg::dht_ping{});
  l.net.rt.run_until(start + 100ms);
  BOOST_TEST(calm.received.size() == 1u);
  // A second later the bucket has refilled by ten.
  l.net.rt.run_until(start + 1s);
  for (uint64_t t = 101; t <= 150; ++t)
    flood.query(l.target(), t, msg::dht_ping{});
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
  hash256 shared = hash_of("shared topic");
  hash256 own = hash_of("honest topic");
  for (int i = 0; i < 4; ++i)
    honest.push_back(&l.add_probe("honest " + std::to_string(i)));
  for (probe* h : honest)
    BOOST_TEST_REQUIRE(is_ack(l.ask(*h, msg::dht_announce{shared, 7000, l.peers_token(*h, shared)})));
  BOOST_TEST_REQUIRE(is_ack(l.ask(*honest[0], msg::dht_announce{own, 7000, l.peers_token(*honest[0], own)})));
  // The flooder announces 200 topics (including both honest ones) on many ports.
  probe& flooder = l.add_probe("flooder");
  size_t stored = 0;
  size_t refused = 0;
  for (int i = 0; i < 200; ++i) {
    hash256 topic = i % 10 == 0 ? shared : i % 10 == 1 ? own : hash_of("junk " + std::to_string(i));
    auto answer = l.ask(flooder, msg::dht_announce{topic, static_cast<uint16_t>(1000 + i),
                                                   l.peers_token(flooder, topic)});
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
  hash256 topic = hash_of("topic");
  BOOST_TEST_REQUIRE(is_ack(l.ask(p, msg::dht_announce{topic, 7000, l.peers_token(p, topic)})));
  size_t table_before = l.node().table().size();
  rng r{5};
  // Random bytes, and valid datagrams with bytes changed.
  bytes valid = msg::encode_rpc(msg::dht_rpc{99, p.id(), msg::dht_announce{topic, 7001, bytes(16, 1)}});
  size_t sent = 0;
  for (int i = 0; i < 500; ++i) {
    bytes d(r.below(200));
    for (auto& b : d)
      b = static_cast<uint8_t>(r.next());
    p.send_raw(l.target(), d);
    bytes m = valid;
    m[r.below(m.size())] ^= static_cast<uint8_t>(1 + r.below(255));
    p.send_raw(l.target(), m);
    sent += 2;
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
  BOOST_TEST(is_ack(l.ask(p, msg::dht_ping{})));
}

BOOST_AUTO_TEST_CASE(unsolicited_responses_are_counted_and_harmless) {
  lab l;
  probe& p = l.add_probe("p");
  probe& other = l.add_probe("other");
  // Responses to queries nobody sent, carrying made-up nodes.
  std::vector<msg::dht_node> fake;
  for (uint32_t i = 0; i < 20; ++i)
    fake.push_back(msg::dht_node{hash_of("fake " + std::to_string(i)), endpoint{0x0c000000 + i, 1}});
  for (uint64_t t = 1; t <= 10; ++t) {
    p.send(l.target(), msg::dht_rpc{t, p.id(), msg::dht_nodes{fake}});
    p.send(l.target(), msg::dht_rpc{t, p.id(), msg::dht_ack{}});
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
  uint64_t transaction = queries.back().transaction;
  other.send(l.target(), msg::dht_rpc{transaction, other.id(), msg::dht_ack{}});
  l.net.rt.run_until(l.net.rt.now() + 100ms);
  BOOST_TEST(l.stats().refused.unsolicited == 21u);
  BOOST_TEST(!pinged.has_value());
  // The right address answers: the ping succeeds, the answer counted once.
  p.send(l.target(), msg::dht_rpc{transaction, p.id(), msg::dht_ack{}});
  l.net.rt.run_until(l.net.rt.now() + 100ms);
  BOOST_TEST_REQUIRE(pinged.has_value());
  BOOST_TEST(*pinged);
  BOOST_TEST(l.stats()[discovery_op::ping].responses_received == 1u);
  // The same answer again is unsolicited: the transaction is closed.
  p.send(l.target(), msg::dht_rpc{transaction, p.id(), msg::dht_ack{}});
  l.net.rt.run_until(l.net.rt.now() + 100ms);
  BOOST_TEST(l.stats().refused.unsolicited == 22u);
  BOOST_TEST(l.node().table().size() == 1u); // p, which answered
}

BOOST_AUTO_TEST_CASE(a_response_of_the_wrong_kind_is_no_answer) {
  lab l;
  probe& p = l.add_probe("p");
  std::optional<bool> pinged;
  l.net.with(0, [&](dht& d, context& ctx) { d.ping(ctx, p.local(), [&](bool ok) { pinged = ok; }); });
  l.net.rt.run_until(l.net.rt.now() + 100ms);
  uint64_t transaction = p.decoded().back().transaction;
  p.send(l.target(), msg::dht_rpc{transaction, p.id(), msg::dht_nodes{}});
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
    d.find_node(ctx, hash_of("x"), [&](const dht_lookup_result& r) { result = r; });
  });
  BOOST_TEST_REQUIRE(result.has_value());
  BOOST_TEST(result->err.is(dht_errc::no_nodes));
}

BOOST_AUTO_TEST_SUITE_END()
