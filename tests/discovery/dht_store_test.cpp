#include "dynfeed/discovery/dht_store.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/feed/bep44.hpp"
#include "dynfeed/krpc/targets.hpp"
#include "support/print.hpp"
#include "support/values.hpp"

#include <map>
#include <set>

using namespace dynfeed;
using namespace std::chrono_literals;

namespace {

node_id topic_number(uint32_t n) {
  node_id h;
  store_u64le(h.data(), n + 1);
  return h;
}

dht_store_limits small_limits() {
  dht_store_limits l;
  l.topics_max = 16;
  l.peers_per_topic_max = 8;
  l.values_max = 4;
  l.records_per_source_max = 4;
  l.record_ttl = 20min; // (the default is 30 min; the cases below count from 20)
  l.value_ttl = 2h;
  return l;
}

bool holds(const dht_store& s, const node_id& topic, const endpoint& e, clock_time now) {
  auto peers = s.peers(topic, 1000, now);
  return std::find(peers.begin(), peers.end(), e) != peers.end();
}

/// A signed BEP 44 item of key number `key` (v: the bencoded string `text`).
bep44::mutable_item value_of(uint8_t key, int64_t seq, std::string_view text,
                             std::string_view salt = "") {
  keypair kp = test::key_number(key);
  std::string v = std::to_string(text.size()) + ":" + std::string{text};
  auto item = bep44::sign(kp, test::text(salt), seq, test::text(v));
  BOOST_REQUIRE(item);
  return *item;
}

int64_t seq_of(const std::optional<dht_item>& item) {
  BOOST_REQUIRE(item);
  return std::get<bep44::mutable_item>(*item).seq;
}

} // namespace

BOOST_AUTO_TEST_SUITE(dht_store_suite)

BOOST_AUTO_TEST_CASE(announce_refresh_and_expiry) {
  dht_store s{small_limits()};
  node_id t = topic_number(1);
  endpoint a{0x0a000001, 7000};
  BOOST_TEST((*s.add_peer(t, a, 0s) == dht_store::outcome::stored));
  BOOST_TEST((*s.add_peer(t, a, 10min) == dht_store::outcome::refreshed));
  BOOST_TEST(s.records() == 1u);
  BOOST_TEST(s.held_by(a.ip) == 1u);
  // Refreshed at 10 min: alive until 30 min.
  BOOST_TEST(holds(s, t, a, 29min));
  BOOST_TEST(!holds(s, t, a, 30min));
  s.expire(29min);
  BOOST_TEST(s.records() == 1u);
  s.expire(30min);
  BOOST_TEST(s.records() == 0u);
  BOOST_TEST(s.topic_count() == 0u);
  BOOST_TEST(s.held_by(a.ip) == 0u);
}

BOOST_AUTO_TEST_CASE(peers_most_recent_first_and_bounded) {
  dht_store s{small_limits()};
  node_id t = topic_number(1);
  for (uint32_t i = 0; i < 6; ++i)
    BOOST_TEST_REQUIRE(s.add_peer(t, endpoint{100 + i, 7000}, std::chrono::seconds{i}).has_value());
  auto three = s.peers(t, 3, 10s);
  BOOST_TEST_REQUIRE(three.size() == 3u);
  BOOST_TEST(three[0].ip == 105u);
  BOOST_TEST(three[2].ip == 103u);
  BOOST_TEST(s.peers(topic_number(2), 3, 10s).empty());
}

BOOST_AUTO_TEST_CASE(askers_get_a_uniform_sample_of_a_popular_topic) {
  dht_store s{small_limits()};
  node_id t = topic_number(1);
  const uint32_t held = static_cast<uint32_t>(small_limits().peers_per_topic_max);
  for (uint32_t i = 0; i < held; ++i)
    BOOST_TEST_REQUIRE(s.add_peer(t, endpoint{100 + i, 7000}, std::chrono::seconds{i}).has_value());
  rng random(3);
  std::map<uint32_t, int> told;
  for (int draw = 0; draw < 400; ++draw) {
    auto two = s.peers(t, 2, 100s, &random);
    BOOST_TEST_REQUIRE(two.size() == 2u);
    BOOST_TEST_REQUIRE(two[0].ip != two[1].ip);
    for (const endpoint& e : two)
      ++told[e.ip];
  }
  // Every peer is handed out, not only the newest two.
  BOOST_TEST(told.size() == held);
  for (const auto& [ip, n] : told)
    BOOST_TEST(n > 400 * 2 / static_cast<int>(held) / 3, "peer " << ip << " told " << n << " times");
}

BOOST_AUTO_TEST_CASE(a_full_topic_refuses_newcomers_but_lets_a_source_replace_its_own) {
  dht_store s{small_limits()};
  node_id t = topic_number(1);
  for (uint32_t i = 0; i < 8; ++i)
    BOOST_TEST_REQUIRE(s.add_peer(t, endpoint{100 + i, 7000}, 0s).has_value());
  auto refused = s.add_peer(t, endpoint{200, 7000}, 1s);
  BOOST_TEST_REQUIRE(!refused.has_value());
  BOOST_TEST(refused.error().is(dht_errc::storage_full));
  BOOST_TEST(!holds(s, t, endpoint{200, 7000}, 1s));
  // Source 103 announces another port: it replaces its own record, nobody else's.
  BOOST_TEST((*s.add_peer(t, endpoint{103, 7001}, 2s) == dht_store::outcome::replaced));
  BOOST_TEST(!holds(s, t, endpoint{103, 7000}, 2s));
  BOOST_TEST(holds(s, t, endpoint{103, 7001}, 2s));
  for (uint32_t i = 0; i < 8; ++i)
    if (i != 3)
      BOOST_TEST(holds(s, t, endpoint{100 + i, 7000}, 2s));
  // Expired records make room first.
  BOOST_TEST((*s.add_peer(t, endpoint{200, 7000}, 21min) == dht_store::outcome::stored));
  BOOST_TEST(s.peer_records() == 1u);
}

BOOST_AUTO_TEST_CASE(a_source_over_its_quota_replaces_its_own_oldest) {
  dht_store s{small_limits()};
  endpoint honest{0x0a000001, 7000};
  BOOST_TEST_REQUIRE(s.add_peer(topic_number(0), honest, 0s).has_value());
  uint32_t flooder = 0x0b000001;
  for (uint32_t i = 1; i <= 4; ++i)
    BOOST_TEST_REQUIRE((*s.add_peer(topic_number(i), endpoint{flooder, 7000}, std::chrono::seconds{i})
                        == dht_store::outcome::stored));
  BOOST_TEST(s.held_by(flooder) == 4u);
  BOOST_TEST((*s.add_peer(topic_number(5), endpoint{flooder, 7000}, 10s) == dht_store::outcome::replaced));
  BOOST_TEST(s.held_by(flooder) == 4u);
  BOOST_TEST(!holds(s, topic_number(1), endpoint{flooder, 7000}, 10s)); // its oldest went
  BOOST_TEST(holds(s, topic_number(5), endpoint{flooder, 7000}, 10s));
  BOOST_TEST(holds(s, topic_number(0), honest, 10s));
}

// A source's oldest record is kept apart from its others (most sources hold one): refreshing
// the oldest, or one in the middle, must reorder them as the replacements then follow.
BOOST_AUTO_TEST_CASE(a_refresh_makes_a_record_its_sources_newest) {
  dht_store s{small_limits()}; // 4 records per source
  endpoint source{0x0b000001, 7000};
  for (uint32_t i = 1; i <= 4; ++i)
    BOOST_TEST_REQUIRE((*s.add_peer(topic_number(i), source, std::chrono::seconds{i}) == dht_store::outcome::stored));
  // Oldest first: 1 2 3 4; then 2 3 4 1; then 2 4 1 3.
  BOOST_TEST((*s.add_peer(topic_number(1), source, 10s) == dht_store::outcome::refreshed));
  BOOST_TEST((*s.add_peer(topic_number(3), source, 11s) == dht_store::outcome::refreshed));
  BOOST_TEST(s.held_by(source.ip) == 4u);
  for (uint32_t gone : {2u, 4u, 1u}) {
    BOOST_TEST((*s.add_peer(topic_number(10 + gone), source, 12s) == dht_store::outcome::replaced));
    BOOST_TEST(!holds(s, topic_number(gone), source, 12s));
    BOOST_TEST(s.held_by(source.ip) == 4u);
  }
  BOOST_TEST(holds(s, topic_number(3), source, 12s));
  // Expiry takes them all, and the source is forgotten.
  s.expire(2h);
  BOOST_TEST(s.held_by(source.ip) == 0u);
  BOOST_TEST(s.records() == 0u);
}

BOOST_AUTO_TEST_CASE(a_flood_from_one_source_cannot_evict_honest_records) {
  dht_store s{small_limits()};
  // Honest records: 6 sources in 6 topics, and 8 sources filling one topic.
  std::vector<std::pair<node_id, endpoint>> honest;
  for (uint32_t i = 0; i < 6; ++i)
    honest.emplace_back(topic_number(i), endpoint{0x0a000100 + i, 7000});
  for (uint32_t i = 0; i < 8; ++i)
    honest.emplace_back(topic_number(6), endpoint{0x0a000200 + i, 7000});
  for (auto& [t, e] : honest)
    BOOST_TEST_REQUIRE(s.add_peer(t, e, 0s).has_value());
  // The flood: 10,000 announces from one address, over every honest topic and new ones, many
  // ports, and values too.
  uint32_t flooder = 0x0b000001;
  size_t refused = 0;
  for (uint32_t i = 0; i < 10000; ++i) {
    auto r = s.add_peer(topic_number(i % 20), endpoint{flooder, static_cast<uint16_t>(1 + i % 500)},
                        std::chrono::milliseconds{i});
    refused += !r.has_value();
  }
  for (uint8_t k = 10; k < 20; ++k)
    (void)s.put_mutable(value_of(k, 1, "flood"), std::nullopt, flooder, 11s);
  clock_time now = 12s;
  for (auto& [t, e] : honest)
    BOOST_TEST(holds(s, t, e, now));
  BOOST_TEST(s.held_by(flooder) <= small_limits().records_per_source_max);
  BOOST_TEST(refused > 0u); // the full topic refused it
  BOOST_TEST(s.topic_count() <= small_limits().topics_max);
  BOOST_TEST(s.records() <= honest.size() + small_limits().records_per_source_max);
}

BOOST_AUTO_TEST_CASE(the_topic_limit_holds_until_something_expires) {
  dht_store s{small_limits()};
  for (uint32_t i = 0; i < 16; ++i)
    BOOST_TEST_REQUIRE(s.add_peer(topic_number(i), endpoint{0x0a000000 + i, 7000}, 0s).has_value());
  auto r = s.add_peer(topic_number(99), endpoint{0x0c000000, 7000}, 1min);
  BOOST_TEST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(dht_errc::storage_full));
  BOOST_TEST(s.topic_count() == 16u);
  BOOST_TEST(s.add_peer(topic_number(99), endpoint{0x0c000000, 7000}, 21min).has_value());
  BOOST_TEST(s.topic_count() == 1u);
}

BOOST_AUTO_TEST_CASE(mutable_items_follow_bep44_and_the_limits) {
  dht_store s{small_limits()};
  uint32_t source = 0x0a000001;
  bep44::mutable_item v1 = value_of(1, 1, "one");
  node_id target = krpc::mutable_target(v1.k, v1.salt);
  BOOST_TEST((*s.put_mutable(v1, std::nullopt, source, 0s) == dht_store::outcome::stored));
  BOOST_TEST(same_item(*s.item(target, 1s), v1));
  BOOST_TEST((target_of(v1) == target));
  // The same item again refreshes it (BEP 44 allows it), a lower seq is refused with 302.
  BOOST_TEST((*s.put_mutable(v1, std::nullopt, source, 1h) == dht_store::outcome::refreshed));
  auto stale = s.put_mutable(value_of(1, 0, "zero"), std::nullopt, source, 1h);
  BOOST_TEST_REQUIRE(!stale.has_value());
  BOOST_TEST(bep44_code(stale.error()) == 302);
  // The same seq with another value: 302 too (not newer), and the held item stays.
  auto same_seq = s.put_mutable(value_of(1, 1, "other"), std::nullopt, source, 1h);
  BOOST_TEST_REQUIRE(!same_seq.has_value());
  BOOST_TEST(bep44_code(same_seq.error()) == 302);
  BOOST_TEST(same_item(*s.item(target, 1h), v1));
  // CAS (301 when it does not name the held seq), then a newer item.
  bep44::mutable_item v2 = value_of(1, 2, "two");
  auto cas = s.put_mutable(v2, int64_t{5}, source, 1h);
  BOOST_TEST_REQUIRE(!cas.has_value());
  BOOST_TEST(bep44_code(cas.error()) == 301);
  BOOST_TEST((*s.put_mutable(v2, int64_t{1}, 0x0a000002, 1h) == dht_store::outcome::stored));
  BOOST_TEST(seq_of(s.item(target, 1h)) == 2);
  // A newer item relayed by another source leaves the record with its first owner.
  BOOST_TEST(s.held_by(source) == 1u);
  BOOST_TEST(s.held_by(0x0a000002) == 0u);
  // A forged signature: 206, nothing changes.
  bep44::mutable_item forged = value_of(1, 3, "three");
  forged.sig.bytes[0] ^= 1;
  auto bad = s.put_mutable(forged, std::nullopt, source, 1h);
  BOOST_TEST_REQUIRE(!bad.has_value());
  BOOST_TEST(bep44_code(bad.error()) == 206);
  BOOST_TEST(seq_of(s.item(target, 1h)) == 2);
  // Salts name other items of the same key.
  bep44::mutable_item salted = value_of(1, 0, "salted", "s");
  BOOST_TEST(s.put_mutable(salted, std::nullopt, source, 1h).has_value());
  BOOST_TEST(seq_of(s.item(krpc::mutable_target(salted.k, salted.salt), 1h)) == 0);
  // Put at 1 h: alive until 3 h.
  BOOST_TEST(s.item(target, 3h - 1s).has_value());
  BOOST_TEST(!s.item(target, 3h).has_value());
}

BOOST_AUTO_TEST_CASE(immutable_items_are_stored_under_their_hash) {
  dht_store s{small_limits()};
  bytes v = test::text("12:Hello World!");
  node_id target = krpc::immutable_target(v);
  BOOST_TEST((*s.put_immutable(v, 0x0a000001, 0s) == dht_store::outcome::stored));
  auto held = s.item(target, 1s);
  BOOST_TEST_REQUIRE(held.has_value());
  BOOST_TEST((std::get<immutable_item>(*held).v == v));
  BOOST_TEST((target_of(*held) == target));
  BOOST_TEST((*s.put_immutable(v, 0x0a000002, 1h) == dht_store::outcome::refreshed));
  BOOST_TEST(s.item(target, 3h - 1s).has_value());
  BOOST_TEST(!s.item(target, 3h).has_value());
}

BOOST_AUTO_TEST_CASE(the_item_limit_refuses_new_items_not_updates) {
  dht_store s{small_limits()};
  for (uint8_t k = 1; k <= 4; ++k)
    BOOST_TEST_REQUIRE(s.put_mutable(value_of(k, 1, "v"), std::nullopt, 0x0a000000u + k, 0s).has_value());
  auto full = s.put_mutable(value_of(9, 1, "v"), std::nullopt, 0x0a000009, 1s);
  BOOST_TEST_REQUIRE(!full.has_value());
  BOOST_TEST(full.error().is(dht_errc::storage_full));
  auto full_immutable = s.put_immutable(test::text("1:x"), 0x0a000009, 1s);
  BOOST_TEST_REQUIRE(!full_immutable.has_value());
  BOOST_TEST(full_immutable.error().is(dht_errc::storage_full));
  BOOST_TEST(s.put_mutable(value_of(2, 2, "w"), std::nullopt, 0x0a000002, 1s).has_value());
  BOOST_TEST(s.value_records() == 4u);
}

BOOST_AUTO_TEST_SUITE_END()
