#include "dynfeed/discovery/routing_table.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/base/random.hpp"
#include "dynfeed/krpc/bep42.hpp"
#include "support/print.hpp"

#include <algorithm>
#include <set>

using namespace dynfeed;
using namespace std::chrono_literals;

namespace {

node_id random_hash(rng& r) {
  node_id out;
  for (size_t i = 0; i < node_id::size(); ++i)
    out.bytes[i] = static_cast<uint8_t>(r.next());
  return out;
}

/// A node of bucket `bucket` (relative to `self`), at a distinct address.
krpc::node_info node_in(const node_id& self, size_t bucket, rng& r, uint32_t& next_ip) {
  return krpc::node_info{id_in_bucket(self, bucket, random_hash(r)), endpoint{next_ip++, 6881}};
}

/// Bucket size (BEP 5's K = 8).
const int k = static_cast<int>(routing_config{}.k);

std::vector<node_id> ids_of(const std::vector<routing_entry>& entries) {
  std::vector<node_id> out;
  for (const routing_entry& e : entries)
    out.push_back(e.node.id);
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(routing_table_suite)

BOOST_AUTO_TEST_CASE(distance_helpers) {
  rng r{1};
  node_id a = random_hash(r);
  BOOST_TEST(common_prefix_bits(a, a) == 160u);
  for (size_t bits = 0; bits < 160; ++bits) {
    node_id b = id_in_bucket(a, bits, random_hash(r));
    BOOST_TEST_REQUIRE(common_prefix_bits(a, b) == bits);
    // XOR distance's leading zero bits are the shared prefix.
    node_id d = xor_distance(a, b);
    BOOST_TEST(common_prefix_bits(d, node_id{}) == bits);
  }
  node_id far = a;
  far.bytes[0] ^= 0x80;
  node_id near = a;
  near.bytes[19] ^= 0x01;
  BOOST_TEST(closer_to(a, near, far));
  BOOST_TEST(!closer_to(a, far, near));
  BOOST_TEST(!closer_to(a, near, near));
}

BOOST_AUTO_TEST_CASE(placement_by_shared_prefix) {
  rng r{2};
  node_id self = random_hash(r);
  routing_table table{self};
  uint32_t ip = 1;
  for (int i = 0; i < 2000; ++i) {
    krpc::node_info n{random_hash(r), endpoint{ip++, 6881}};
    auto result = table.heard_from(n, 0s);
    size_t bucket = common_prefix_bits(self, n.id);
    BOOST_TEST_REQUIRE(table.bucket_of(n.id) == bucket);
    if (result.result == routing_table::outcome::added) {
      auto ids = ids_of(table.bucket(bucket).nodes);
      BOOST_TEST_REQUIRE((std::find(ids.begin(), ids.end(), n.id) != ids.end()));
    }
  }
  size_t total = 0;
  for (size_t b = 0; b < table.bucket_count(); ++b) {
    for (const routing_entry& e : table.bucket(b).nodes)
      BOOST_TEST_REQUIRE(common_prefix_bits(self, e.node.id) == b);
    BOOST_TEST_REQUIRE(table.bucket(b).nodes.size() <= table.config().k);
    total += table.bucket(b).nodes.size();
  }
  BOOST_TEST(total == table.size());
  // Every bucket is there to read, the deep ones (made on first use) empty.
  BOOST_TEST(table.bucket_count() == dht_id_bits);
  BOOST_TEST(table.bucket(dht_id_bits - 1).nodes.empty());
  // Half of 2000 random IDs fall in bucket 0, a quarter in bucket 1, ...: the first few buckets
  // are full and the deep ones hold what there is.
  BOOST_TEST(table.bucket(0).nodes.size() == routing_config{}.k);
  BOOST_TEST(table.bucket(4).nodes.size() == routing_config{}.k);
  BOOST_TEST(table.size() < 400u);
}

BOOST_AUTO_TEST_CASE(refuses_own_id_bad_addresses_and_a_second_node_per_ip) {
  rng r{3};
  node_id self = random_hash(r);
  routing_table table{self};
  using outcome = routing_table::outcome;
  BOOST_TEST((table.heard_from({self, endpoint{5, 1}}, 0s).result == outcome::refused));
  BOOST_TEST((table.heard_from({random_hash(r), endpoint{0, 1}}, 0s).result == outcome::refused));
  BOOST_TEST((table.heard_from({random_hash(r), endpoint{5, 0}}, 0s).result == outcome::refused));
  node_id a = random_hash(r);
  BOOST_TEST((table.heard_from({a, endpoint{5, 1}}, 0s).result == outcome::added));
  // One address, another made-up ID: refused (nodes_per_ip_max is 1).
  BOOST_TEST((table.heard_from({random_hash(r), endpoint{5, 2}}, 0s).result == outcome::refused));
  // A known ID claimed from another address keeps its first address.
  BOOST_TEST((table.heard_from({a, endpoint{6, 1}}, 1s).result == outcome::refused));
  BOOST_TEST((table.find(a)->node.address == endpoint{5, 1}));
  BOOST_TEST(table.size() == 1u);
}

BOOST_AUTO_TEST_CASE(nodes_per_ip_max_counts_the_table_in_every_bucket) {
  // Two nodes an address, counted across buckets; a node that leaves frees its address's place.
  rng r{31};
  node_id self = random_hash(r);
  routing_config config;
  config.nodes_per_ip_max = 2;
  config.failures_max = 1;
  routing_table table{self, config};
  using outcome = routing_table::outcome;
  krpc::node_info far{id_in_bucket(self, 0, random_hash(r)), endpoint{9, 1}};
  krpc::node_info near{id_in_bucket(self, 5, random_hash(r)), endpoint{9, 2}};
  krpc::node_info third{id_in_bucket(self, 3, random_hash(r)), endpoint{9, 3}};
  BOOST_TEST((table.heard_from(far, 0s).result == outcome::added));
  BOOST_TEST((table.heard_from(near, 0s).result == outcome::added));
  BOOST_TEST((table.heard_from(third, 0s).result == outcome::refused));
  BOOST_TEST((table.heard_from({third.id, endpoint{10, 3}}, 0s).result == outcome::added));
  BOOST_TEST(table.failed(near.id)); // one failure is failures_max: it leaves
  BOOST_TEST((table.heard_from(third, 1s).result == outcome::refused)); // its ID is known
  krpc::node_info fourth{id_in_bucket(self, 7, random_hash(r)), endpoint{9, 4}};
  BOOST_TEST((table.heard_from(fourth, 1s).result == outcome::added));
  BOOST_TEST(table.size() == 3u);
}

BOOST_AUTO_TEST_CASE(full_bucket_holds_k_least_recently_seen_first) {
  rng r{4};
  node_id self = random_hash(r);
  routing_table table{self};
  uint32_t ip = 1;
  std::vector<krpc::node_info> nodes;
  for (int i = 0; i < k; ++i) {
    nodes.push_back(node_in(self, 0, r, ip));
    BOOST_TEST_REQUIRE((table.heard_from(nodes.back(), std::chrono::seconds{i}).result
                        == routing_table::outcome::added));
  }
  // Seeing node 3 again makes it the most recently seen.
  auto result = table.heard_from(nodes[3], 100s);
  BOOST_TEST((result.result == routing_table::outcome::updated));
  BOOST_TEST(!result.ping);
  std::vector<node_id> expected;
  for (int i = 0; i < k; ++i)
    if (i != 3)
      expected.push_back(nodes[i].id);
  expected.push_back(nodes[3].id);
  BOOST_TEST(ids_of(table.bucket(0).nodes) == expected);
  // More nodes for the full bucket wait as replacements; the good nodes stay.
  for (int i = 0; i < 30; ++i) {
    auto more = table.heard_from(node_in(self, 0, r, ip), 101s);
    BOOST_TEST_REQUIRE((more.result == routing_table::outcome::waiting));
    BOOST_TEST_REQUIRE(!more.ping); // nobody is questionable after 101 s
  }
  BOOST_TEST(table.bucket(0).nodes.size() == routing_config{}.k);
  BOOST_TEST(table.bucket(0).replacements.size() == table.config().replacements_max);
  BOOST_TEST(ids_of(table.bucket(0).nodes) == expected);
}

BOOST_AUTO_TEST_CASE(full_bucket_pings_oldest_before_replacing_it) {
  rng r{5};
  node_id self = random_hash(r);
  routing_table table{self};
  uint32_t ip = 1;
  std::vector<krpc::node_info> nodes;
  for (int i = 0; i < k; ++i) {
    nodes.push_back(node_in(self, 1, r, ip));
    table.heard_from(nodes.back(), std::chrono::seconds{i});
  }
  // 16 minutes on, every node is questionable: a newcomer waits and the oldest is pinged.
  krpc::node_info newcomer = node_in(self, 1, r, ip);
  auto result = table.heard_from(newcomer, 16min);
  BOOST_TEST((result.result == routing_table::outcome::waiting));
  BOOST_TEST_REQUIRE(result.ping.has_value());
  BOOST_TEST(result.ping->id == nodes[0].id);
  BOOST_TEST(!table.find(newcomer.id));
  // Only one ping at a time per bucket.
  auto second = table.heard_from(node_in(self, 1, r, ip), 16min);
  BOOST_TEST(!second.ping);
  // The oldest answers: it stays, now most recently seen, and the next oldest is pinged.
  auto answered = table.heard_from(nodes[0], 16min + 1s);
  BOOST_TEST((answered.result == routing_table::outcome::updated));
  BOOST_TEST(table.bucket(1).nodes.back().node.id == nodes[0].id);
  BOOST_TEST_REQUIRE(answered.ping.has_value());
  BOOST_TEST(answered.ping->id == nodes[1].id);
  BOOST_TEST(!table.find(newcomer.id));
  // That one does not answer: the most recent replacement takes its place.
  BOOST_TEST(table.failed(nodes[1].id));
  BOOST_TEST(!table.find(nodes[1].id));
  BOOST_TEST(table.bucket(1).nodes.size() == routing_config{}.k);
  BOOST_TEST(table.bucket(1).replacements.size() == 1u); // the first newcomer still waits
  BOOST_TEST(table.bucket(1).replacements.back().node.id == newcomer.id);
}

BOOST_AUTO_TEST_CASE(nodes_failing_repeatedly_are_dropped) {
  rng r{6};
  node_id self = random_hash(r);
  routing_table table{self};
  uint32_t ip = 1;
  krpc::node_info n = node_in(self, 2, r, ip);
  table.heard_from(n, 0s);
  BOOST_TEST(!table.failed(n.id));
  BOOST_TEST(!table.failed(n.id));
  BOOST_TEST(table.find(n.id)->failures == 2u);
  BOOST_TEST(table.failed(n.id)); // failures_max = 3
  BOOST_TEST(!table.find(n.id));
  BOOST_TEST(table.empty());
  // An answer resets the count.
  table.heard_from(n, 1s);
  table.failed(n.id);
  table.failed(n.id);
  table.heard_from(n, 2s);
  BOOST_TEST(table.find(n.id)->failures == 0u);
  // The address's share is free again once a node leaves.
  BOOST_TEST(!table.failed(n.id));
  BOOST_TEST(!table.failed(n.id));
  BOOST_TEST(table.failed(n.id));
  krpc::node_info other{id_in_bucket(self, 3, node_id{}), n.address};
  BOOST_TEST((table.heard_from(other, 3s).result == routing_table::outcome::added));
}

BOOST_AUTO_TEST_CASE(a_node_that_failed_gives_way_to_a_newcomer_at_once) {
  rng r{7};
  node_id self = random_hash(r);
  routing_table table{self};
  uint32_t ip = 1;
  std::vector<krpc::node_info> nodes;
  for (int i = 0; i < k; ++i) {
    nodes.push_back(node_in(self, 0, r, ip));
    table.heard_from(nodes.back(), 0s);
  }
  BOOST_TEST(!table.failed(nodes[7].id)); // no replacement waiting: it stays, marked
  krpc::node_info newcomer = node_in(self, 0, r, ip);
  BOOST_TEST((table.heard_from(newcomer, 1s).result == routing_table::outcome::added));
  BOOST_TEST(!table.find(nodes[7].id));
  BOOST_TEST(table.find(newcomer.id));
}

BOOST_AUTO_TEST_CASE(closest_equals_brute_force_sort) {
  rng r{8};
  for (int round = 0; round < 4; ++round) {
    node_id self = random_hash(r);
    routing_table table{self};
    uint32_t ip = 1;
    // Random IDs, and many near our own so that deep buckets fill as well.
    for (int i = 0; i < 3000; ++i)
      table.heard_from({random_hash(r), endpoint{ip++, 6881}}, 0s);
    for (size_t bucket = 0; bucket < 40; ++bucket)
      for (int i = 0; i < 12; ++i)
        table.heard_from(node_in(self, bucket, r, ip), 0s);
    std::vector<krpc::node_info> all = table.all();
    BOOST_TEST_REQUIRE(all.size() == table.size());
    std::vector<node_id> targets{self};
    for (int i = 0; i < 100; ++i)
      targets.push_back(random_hash(r));
    for (size_t bucket = 0; bucket < 60; bucket += 3)
      targets.push_back(id_in_bucket(self, bucket, random_hash(r)));
    for (const node_id& target : targets) {
      std::vector<krpc::node_info> sorted = all;
      std::sort(sorted.begin(), sorted.end(), [&](const auto& a, const auto& b) {
        return closer_to(target, a.id, b.id);
      });
      for (size_t count : {size_t{1}, size_t{5}, size_t{20}, size_t{64}, all.size() + 10}) {
        std::vector<krpc::node_info> expected(sorted.begin(),
                                            sorted.begin() + static_cast<std::ptrdiff_t>(std::min(count, sorted.size())));
        auto got = table.closest(target, count);
        BOOST_TEST_REQUIRE(got.size() == expected.size());
        for (size_t i = 0; i < got.size(); ++i)
          BOOST_TEST_REQUIRE(got[i].id == expected[i].id);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(closest_stays_exact_as_deep_buckets_empty) {
  rng r{12};
  node_id self = random_hash(r);
  routing_table table{self};
  uint32_t ip = 1;
  std::vector<krpc::node_info> deep;
  for (size_t bucket = 0; bucket < 30; ++bucket)
    for (int i = 0; i < 3; ++i) {
      deep.push_back(node_in(self, bucket, r, ip));
      table.heard_from(deep.back(), 0s);
    }
  std::vector<krpc::node_info> got{node_in(self, 1, r, ip)}; // stale content is dropped
  // Drop the deepest nodes first, then the others, checking after each node that leaves.
  for (auto it = deep.rbegin(); it != deep.rend(); ++it) {
    while (table.find(it->id))
      table.failed(it->id);
    std::vector<krpc::node_info> all = table.all();
    for (const node_id& target : {self, random_hash(r), id_in_bucket(self, 25, random_hash(r))}) {
      std::sort(all.begin(), all.end(), [&](const auto& a, const auto& b) {
        return closer_to(target, a.id, b.id);
      });
      table.closest(target, 8, got);
      BOOST_TEST_REQUIRE(got.size() == std::min<size_t>(8, all.size()));
      for (size_t i = 0; i < got.size(); ++i)
        BOOST_TEST_REQUIRE(got[i].id == all[i].id);
    }
  }
  BOOST_TEST(table.empty());
}

BOOST_AUTO_TEST_CASE(touch_marks_the_bucket_of_a_target) {
  rng r{9};
  node_id self = random_hash(r);
  routing_table table{self};
  node_id target = id_in_bucket(self, 17, random_hash(r));
  table.touch(target, 42s);
  BOOST_TEST((table.bucket(17).last_active == 42s));
  BOOST_TEST((table.bucket(16).last_active == 0s));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(bep42_keeps_out_ids_their_address_does_not_allow_when_enforced) {
  rng r{11};
  node_id self = random_hash(r);
  uint32_t public_ip = 0x7c1f4b15; // 124.31.75.21, BEP 42's first example address
  uint32_t private_ip = 0x0a000001; // 10.0.0.1: exempt
  node_id made_up = random_hash(r);
  if (krpc::bep42::is_valid(made_up, public_ip))
    made_up.bytes[0] ^= 0xff; // (one in two million: make sure it is not valid by chance)
  BOOST_TEST_REQUIRE(!krpc::bep42::is_valid(made_up, public_ip));
  node_id allowed = krpc::bep42::make_id(public_ip, 1, random_hash(r));
  BOOST_TEST_REQUIRE(krpc::bep42::is_valid(allowed, public_ip));

  routing_config on;
  on.enforce_bep42 = true;
  routing_table strict(self, on);
  using outcome = routing_table::outcome;
  BOOST_TEST((strict.heard_from({made_up, endpoint{public_ip, 6881}}, 0s).result == outcome::refused));
  BOOST_TEST((strict.heard_from({allowed, endpoint{public_ip, 6881}}, 0s).result == outcome::added));
  BOOST_TEST((strict.heard_from({made_up, endpoint{private_ip, 6881}}, 0s).result == outcome::added));
  BOOST_TEST(strict.size() == 2u);

  routing_table lenient(self, routing_config{}); // off by default
  BOOST_TEST((lenient.heard_from({made_up, endpoint{public_ip, 6881}}, 0s).result == outcome::added));
}
