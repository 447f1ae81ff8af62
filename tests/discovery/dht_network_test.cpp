// Mainline DHT nodes in a simulated network: joining, lookup convergence and hops, announces
// and lookups, expiry, the find_peers service, BEP 44 items, determinism.

#include "dynfeed/discovery/dht.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/base/random.hpp"
#include "dynfeed/feed/bep44.hpp"
#include "support/dht_sim.hpp"
#include "support/print.hpp"
#include "support/values.hpp"

#include <cmath>
#include <set>

using namespace dynfeed;
using namespace dynfeed::test;
using namespace std::chrono_literals;

namespace {

node_id random_target(rng& r) {
  node_id out;
  for (size_t i = 0; i < node_id::size(); ++i)
    out.bytes[i] = static_cast<uint8_t>(r.next());
  return out;
}

/// The key discovery_stats::by_topic counts an info-hash under.
hash256 counted_as(const node_id& info_hash) {
  hash256 key;
  std::copy(info_hash.bytes.begin(), info_hash.bytes.end(), key.bytes.begin());
  return key;
}

/// BEP 5's K, dht_config's default: bucket size and the closest nodes a lookup settles on.
const size_t k = routing_config{}.k;

struct convergence {
  double recall_mean = 0;
  double recall_min = 1;
  double hops_mean = 0;
  uint32_t hops_max = 0;
};

/// `lookups` find_node lookups of random targets from random nodes of a network of `n` nodes.
convergence measure(size_t n, uint64_t seed, size_t lookups) {
  dht_network net{seed};
  net.grow(n, dht_config{}, 20ms, 60s);
  rng r{seed + 1};
  convergence c;
  for (size_t i = 0; i < lookups; ++i) {
    node_id target = random_target(r);
    size_t from = r.below(n);
    dht_lookup_result result = net.find_node(from, target);
    BOOST_TEST_REQUIRE(!result.err);
    // The querying node counts as found: a lookup never asks itself.
    std::set<node_id> found{net.node(from).id()};
    for (const auto& node : result.closest)
      found.insert(node.id);
    std::vector<node_id> truth = net.true_closest(target, k);
    size_t hits = 0;
    for (const node_id& id : truth)
      hits += found.count(id);
    double recall = static_cast<double>(hits) / static_cast<double>(truth.size());
    c.recall_mean += recall / static_cast<double>(lookups);
    c.recall_min = std::min(c.recall_min, recall);
    c.hops_mean += static_cast<double>(result.hops) / static_cast<double>(lookups);
    c.hops_max = std::max(c.hops_max, result.hops);
  }
  BOOST_TEST_MESSAGE(n << " nodes: recall mean " << c.recall_mean << " min " << c.recall_min
                       << ", hops mean " << c.hops_mean << " max " << c.hops_max << ", "
                       << net.rt.stats().datagrams << " datagrams");
  return c;
}

/// Key number 1's BEP 44 item under the salt "news".
bep44::mutable_item news(int64_t seq, std::string_view value) {
  return signed_item(key_number(1), seq, value, "news");
}

const bytes news_salt = text("news");

} // namespace

BOOST_AUTO_TEST_SUITE(dht_in_a_network)

BOOST_AUTO_TEST_CASE(nodes_join_and_fill_their_tables) {
  dht_network net{11};
  net.grow(64, dht_config{});
  for (size_t i = 0; i < 64; ++i) {
    BOOST_TEST_REQUIRE(!net.node(i).table().empty());
    // A network of 64 nodes fits in a few buckets: every node knows most of the others.
    BOOST_TEST(net.node(i).table().size() >= 20u);
  }
  BOOST_TEST(net.node(0).stats().lookups == 0u); // the first node never looked anything up
  BOOST_TEST(net.node(63).stats().lookups >= 1u);
}

BOOST_AUTO_TEST_CASE(lookups_converge_and_hops_grow_like_log_n) {
  std::vector<size_t> sizes{64, 256, 1024};
  std::vector<convergence> results;
  for (size_t n : sizes) {
    convergence c = measure(n, 100 + n, 40);
    double bound = 2 * std::log2(static_cast<double>(n)) / std::log2(static_cast<double>(k)) + 3;
    BOOST_TEST(c.recall_min >= 0.9, n << " nodes: a lookup found only " << c.recall_min);
    BOOST_TEST(c.recall_mean >= 0.98, n << " nodes: mean recall " << c.recall_mean);
    BOOST_TEST(c.hops_mean <= bound);
    BOOST_TEST(static_cast<double>(c.hops_max) <= bound);
    BOOST_TEST(c.hops_mean >= 1.0);
    results.push_back(c);
  }
  BOOST_TEST(results[0].hops_mean < results[2].hops_mean);
  BOOST_TEST(results[0].hops_mean <= results[1].hops_mean);
}

BOOST_AUTO_TEST_CASE(lookups_converge_with_loss) {
  sim::network_config lossy;
  lossy.loss = 0.05;
  dht_network net{21, lossy};
  net.grow(200, dht_config{});
  rng r{22};
  double recall = 0;
  for (int i = 0; i < 20; ++i) {
    node_id target = random_target(r);
    size_t from = r.below(200);
    auto result = net.find_node(from, target);
    std::set<node_id> found{net.node(from).id()};
    for (const auto& node : result.closest)
      found.insert(node.id);
    size_t hits = 0;
    for (const node_id& id : net.true_closest(target, k))
      hits += found.count(id);
    recall += static_cast<double>(hits) / k / 20;
  }
  BOOST_TEST_MESSAGE("5 % loss: mean recall " << recall);
  BOOST_TEST(recall >= 0.9);
}

BOOST_AUTO_TEST_CASE(announce_then_lookup_from_a_fresh_node) {
  dht_network net{31};
  net.grow(100, dht_config{});
  node_id topic = id_of("topic: announce");
  dht_store_result stored = net.announce(7, topic, 7000);
  BOOST_TEST(!stored.err);
  BOOST_TEST(stored.stored >= k - 2);
  BOOST_TEST(stored.error_codes.empty());
  // A node that joins afterwards finds the announcer's address: its IP with the TCP port.
  dht_config late;
  late.bootstrap = {net.address(0)};
  size_t fresh = net.add_node(late);
  net.rt.run_until(net.rt.now() + 10s);
  dht_lookup_result found = net.lookup_peers(fresh, topic);
  BOOST_TEST_REQUIRE(!found.err);
  endpoint expected{net.address(7).ip, 7000};
  BOOST_TEST(found.peers.size() == 1u);
  BOOST_TEST((std::find(found.peers.begin(), found.peers.end(), expected) != found.peers.end()));
  BOOST_TEST(found.hops >= 1u);
  // The storing nodes are (nearly all) among the k closest to the topic.
  auto truth = net.true_closest(topic, k);
  size_t holders = 0;
  size_t outside = 0;
  for (size_t i = 0; i < net.nodes.size(); ++i)
    if (!net.node(i).storage().peers(topic, 10, net.rt.now()).empty()) {
      ++holders;
      outside += std::find(truth.begin(), truth.end(), net.node(i).id()) == truth.end();
    }
  BOOST_TEST(holders == stored.stored);
  BOOST_TEST(outside <= 2u);
  // Counted: announces sent by the announcer, records held by the storing nodes.
  BOOST_TEST(net.node(7).stats()[discovery_op::announce].queries_sent >= stored.stored);
  BOOST_TEST(net.node(7).stats()[discovery_op::announce].responses_received == stored.stored);
  BOOST_TEST(net.node(7).stats().by_topic.at(counted_as(topic)) > 0u);
  uint64_t held = 0;
  for (size_t i = 0; i < net.nodes.size(); ++i)
    held += net.node(i).stats().records_held;
  BOOST_TEST(held == stored.stored);
}

BOOST_AUTO_TEST_CASE(records_expire_unless_announced_again) {
  dht_config config;
  config.storage.record_ttl = 5min;
  dht_network net{41};
  net.grow(40, config);
  node_id once = id_of("announced once");
  node_id again = id_of("announced again");
  BOOST_TEST_REQUIRE(net.announce(3, once, 7000).stored > 0u);
  BOOST_TEST_REQUIRE(net.announce(4, again, 7000).stored > 0u);
  net.rt.run_until(net.rt.now() + 4min);
  BOOST_TEST_REQUIRE(net.announce(4, again, 7000).stored > 0u);
  BOOST_TEST(net.lookup_peers(10, once).peers.size() == 1u);
  net.rt.run_until(net.rt.now() + 2min); // `once` is 6 min old, `again` 2 min
  BOOST_TEST(net.lookup_peers(10, once).peers.empty());
  BOOST_TEST(net.lookup_peers(10, again).peers.size() == 1u);
  // The periodic sweep drops expired records from the counters too.
  net.rt.run_until(net.rt.now() + 5min);
  uint64_t held = 0;
  for (size_t i = 0; i < net.nodes.size(); ++i)
    held += net.node(i).stats().records_held;
  BOOST_TEST(held == 0u);
}

BOOST_AUTO_TEST_CASE(find_peers_from_swarms) {
  dht_config config;
  config.announce_port = 7000;
  config.lookup_interval = 30s;
  config.announce_interval = 2min;
  dht_network net{51};
  net.grow(50, config);
  hash256 topic = hash_of("topic: swarms");
  // Two recorders on node 1 (two swarms of one topic), one on node 2.
  auto recorder = [&](size_t node) {
    component_id id = net.rt.spawn(std::make_unique<peers_recorder>(), net.hosts[node]);
    return id;
  };
  component_id a1 = recorder(1);
  component_id a2 = recorder(1);
  component_id b = recorder(2);
  auto ask = [&](component_id who, size_t node, msg::local_message m) {
    net.rt.with(who, [&](component&, context& ctx) { ctx.send(net.nodes[node], msg::encode(m)); });
  };
  auto rec = [&](component_id id) -> peers_recorder& { return static_cast<peers_recorder&>(*net.rt.find(id)); };
  ask(a1, 1, msg::find_peers{topic, true});
  ask(a2, 1, msg::find_peers{topic, false});
  net.rt.run_until(net.rt.now() + 5s);
  ask(b, 2, msg::find_peers{topic, true});
  std::string addr1 = endpoint{net.address(1).ip, 7000}.to_string();
  std::string addr2 = endpoint{net.address(2).ip, 7000}.to_string();
  // Node 2's first lookup finds node 1 at once; node 1 finds node 2 at its next round.
  BOOST_TEST_REQUIRE(net.run_until([&] { return rec(b).saw(addr1); }, 10s));
  BOOST_TEST_REQUIRE(net.run_until([&] { return rec(a1).saw(addr2) && rec(a2).saw(addr2); }, 60s));
  // Nobody hears of its own node.
  BOOST_TEST(!rec(a1).saw(addr1));
  BOOST_TEST(!rec(b).saw(addr2));
  BOOST_TEST(net.node(1).topics_wanted() == 1u);
  // Periodic announces keep the records alive past their ttl (30 min).
  net.rt.run_until(net.rt.now() + 40min);
  auto found = net.lookup_peers(30, krpc::info_hash(topic));
  BOOST_TEST(found.peers.size() == 2u);
  // One swarm stops: the other keeps hearing. Both stop: no more announces from node 1.
  ask(a1, 1, msg::stop_finding{topic});
  net.rt.run_until(net.rt.now() + 1s);
  BOOST_TEST(net.node(1).topics_wanted() == 1u);
  ask(a2, 1, msg::stop_finding{topic});
  net.rt.run_until(net.rt.now() + 1s);
  BOOST_TEST(net.node(1).topics_wanted() == 0u);
  uint64_t announces = net.node(1).stats()[discovery_op::announce].queries_sent;
  uint64_t lookups = net.node(1).stats()[discovery_op::get_peers].queries_sent;
  BOOST_TEST(announces > 0u);
  net.rt.run_until(net.rt.now() + 40min);
  BOOST_TEST(net.node(1).stats()[discovery_op::announce].queries_sent == announces);
  BOOST_TEST(net.node(1).stats()[discovery_op::get_peers].queries_sent == lookups);
  // Node 1's record expired; node 2's lives on.
  found = net.lookup_peers(30, krpc::info_hash(topic));
  BOOST_TEST_REQUIRE(found.peers.size() == 1u);
  BOOST_TEST(found.peers[0].to_string() == addr2);
}

BOOST_AUTO_TEST_CASE(a_reader_before_the_writer_finds_it_soon) {
  dht_config config;
  config.announce_port = 7000; // lookup_interval stays 2 min
  dht_network net{52};
  net.grow(30, config);
  hash256 topic = hash_of("topic: an early reader");
  local_stand_in reader{net, 3};
  local_stand_in writer{net, 4};
  reader.tell(msg::find_peers{topic, false});
  net.rt.run_until(net.rt.now() + 3s);
  BOOST_TEST(reader.heard().addresses.empty());
  writer.tell(msg::find_peers{topic, true});
  std::string at_writer = endpoint{net.address(4).ip, 7000}.to_string();
  // The reader's rounds found nobody: the next come after 1, 2, 4, 8 s..., not 2 min.
  BOOST_TEST(net.run_until([&] { return reader.heard().saw(at_writer); }, 10s));
  BOOST_TEST(net.node(3).stats()[discovery_op::announce].queries_sent == 0u);
}

BOOST_AUTO_TEST_CASE(announcing_starts_once_the_port_is_known) {
  dht_network net{53};
  net.grow(30, dht_config{}); // announce_port 0: not listening yet
  hash256 topic = hash_of("topic: a late port");
  local_stand_in writer{net, 5};
  writer.tell(msg::find_peers{topic, true});
  net.rt.run_until(net.rt.now() + 30s);
  BOOST_TEST(net.node(5).stats()[discovery_op::get_peers].queries_sent > 0u);
  BOOST_TEST(net.node(5).stats()[discovery_op::announce].queries_sent == 0u);
  net.with(5, [&](dht& d, context& ctx) { d.set_announce_port(ctx, 7100); });
  net.rt.run_until(net.rt.now() + 5s); // at once, not at the next round (2 min)
  BOOST_TEST(net.node(5).stats()[discovery_op::announce].queries_sent > 0u);
  dht_lookup_result found = net.lookup_peers(20, krpc::info_hash(topic));
  BOOST_TEST_REQUIRE(found.peers.size() == 1u);
  endpoint announced{net.address(5).ip, 7100};
  BOOST_TEST(found.peers[0].to_string() == announced.to_string());
}

BOOST_AUTO_TEST_CASE(topics_asked_before_joining_run_once_somebody_answers) {
  dht_network net{54};
  net.grow(30, dht_config{});
  hash256 topic = hash_of("topic: asked too early");
  BOOST_TEST(net.announce(7, krpc::info_hash(topic), 7000).stored > 0u);
  // A node that left, next to the late node's ID (so that its join asks it): every table
  // has room for it, and it answers nothing.
  dht_config late;
  late.id = id_of("late");
  node_id gone = late.id;
  gone.bytes[19] ^= 1;
  auto [silent_id, silent] = net.add_probe(gone);
  (void)silent_id;
  for (size_t i = 0; i < net.nodes.size(); ++i)
    silent->query(net.address(i), tid(static_cast<uint16_t>(900 + i)), krpc::ping{});
  net.rt.run_until(net.rt.now() + 1s);
  late.bootstrap = {net.address(0)};
  size_t fresh = net.add_node(late);
  local_stand_in reader{net, fresh};
  // Asked before the bootstrap node answered (nothing arrived yet): nobody to ask.
  BOOST_TEST(net.node(fresh).stats().datagrams_received == 0u);
  reader.tell(msg::find_peers{topic, false});
  std::string at_7 = endpoint{net.address(7).ip, 7000}.to_string();
  // It runs again as soon as the bootstrap node answers: not after bootstrap_retry (10 s), and
  // not after the join, which waits for the silent node's two timeouts (4 s).
  BOOST_TEST(net.run_until([&] { return reader.heard().saw(at_7); }, 1s));
  BOOST_TEST(net.node(fresh).stats()[discovery_op::find_node].timeouts == 0u);
  net.rt.run_until(net.rt.now() + 5s);
  BOOST_TEST(net.node(fresh).stats()[discovery_op::find_node].timeouts > 0u);
}

BOOST_AUTO_TEST_CASE(put_and_get_mutable_items_through_the_network) {
  dht_network net{61};
  net.grow(60, dht_config{});
  public_key key = key_number(1).pk;
  dht_store_result put1 = net.put_value(5, news(1, "first"));
  BOOST_TEST(!put1.err);
  BOOST_TEST(put1.stored >= k - 2);
  BOOST_TEST(put1.error_codes.empty());
  dht_lookup_result got = net.get_value(40, key, news_salt);
  BOOST_TEST_REQUIRE(got.item.has_value());
  BOOST_TEST(same_item(*got.item, news(1, "first")));
  BOOST_TEST((got.target == krpc::mutable_target(key, news_salt)));
  // A newer item replaces it; the old one again is refused everywhere as not newer (302).
  dht_store_result put2 = net.put_value(6, news(2, "second"));
  BOOST_TEST(put2.stored >= k - 2);
  dht_store_result stale = net.put_value(7, news(1, "first"));
  // Nodes that hold seq 2 refuse it; one that never got it (lookups from elsewhere settle on
  // slightly different closest nodes) may store it.
  BOOST_TEST(stale.stored <= 2u);
  BOOST_TEST_REQUIRE(stale.error_codes.size() >= k - 2);
  for (int64_t code : stale.error_codes)
    BOOST_TEST(code == 302);
  // CAS against the wrong seq: 301; against the held one: stored.
  dht_store_result cas = net.put_value(8, news(3, "third"), int64_t{1});
  BOOST_TEST(cas.stored == 0u);
  BOOST_TEST_REQUIRE(!cas.error_codes.empty());
  for (int64_t code : cas.error_codes)
    BOOST_TEST(code == 301);
  got = net.get_value(41, key, news_salt);
  BOOST_TEST_REQUIRE(got.item.has_value());
  BOOST_TEST(std::get<bep44::mutable_item>(*got.item).seq == 2);
  BOOST_TEST(net.put_value(8, news(3, "third"), int64_t{2}).stored >= k - 2);
  // get with seq: nodes holding nothing newer leave the item out, so nothing comes back.
  BOOST_TEST(!net.get_value(42, key, news_salt, int64_t{3}).item.has_value());
  got = net.get_value(42, key, news_salt, int64_t{2});
  BOOST_TEST_REQUIRE(got.item.has_value());
  BOOST_TEST(std::get<bep44::mutable_item>(*got.item).seq == 3);
  // Another salt is another item; nothing for it.
  BOOST_TEST(!net.get_value(43, key, text("sport")).item.has_value());
}

BOOST_AUTO_TEST_CASE(put_and_get_immutable_items_through_the_network) {
  dht_network net{62};
  net.grow(60, dht_config{});
  bytes v = bencoded("Hello World!");
  dht_store_result put = net.put_immutable(5, v);
  BOOST_TEST(!put.err);
  BOOST_TEST(put.stored >= k - 2);
  dht_lookup_result got = net.get_value(40, krpc::immutable_target(v));
  BOOST_TEST_REQUIRE(got.item.has_value());
  BOOST_TEST((std::get<immutable_item>(*got.item).v == v));
  BOOST_TEST(!net.get_value(41, krpc::immutable_target(bencoded("nothing"))).item.has_value());
}

BOOST_AUTO_TEST_CASE(a_getter_keeps_the_highest_valid_seq) {
  dht_network net{71};
  net.grow(30, dht_config{});
  public_key key = key_number(1).pk;
  node_id target = krpc::mutable_target(key, news_salt);
  BOOST_TEST_REQUIRE(net.put_value(3, news(4, "honest")).stored > 0u);
  // Two liars, with IDs next to the target so that every lookup asks them: one answers with
  // a forged seq 100, the other with a newer item of another key.
  bep44::mutable_item forged = news(100, "forged");
  forged.sig.bytes[5] ^= 1;
  bep44::mutable_item other = signed_item(key_number(2), 200, "other", "news");
  std::vector<bep44::mutable_item> lies{forged, other};
  int asked = 0;
  for (uint8_t i = 0; i < 2; ++i) {
    node_id id = target;
    id.bytes[19] ^= static_cast<uint8_t>(i + 1);
    probe* liar = net.add_probe(id).second;
    liar->answer = [&asked, lie = lies[i]](const endpoint&, const krpc::message& m) -> std::optional<krpc::body> {
      if (!std::holds_alternative<krpc::get>(std::get<krpc::query>(m.content)))
        return std::nullopt;
      ++asked;
      krpc::response r;
      r.token = bytes(16, 1);
      r.k = lie.k;
      r.seq = lie.seq;
      r.sig = lie.sig;
      r.v = lie.v;
      return krpc::body{r};
    };
    // Every node hears of the liar (it pings them all): the ones near the target keep it in
    // their tables and tell lookups of it.
    for (size_t n = 0; n < net.nodes.size(); ++n)
      liar->query(net.address(n), tid(static_cast<uint16_t>(n)), krpc::ping{});
  }
  net.rt.run_until(net.rt.now() + 1s);
  uint64_t bad_before = net.node(20).stats().refused.bad_value;
  dht_lookup_result got = net.get_value(20, key, news_salt);
  BOOST_TEST(asked == 2);
  BOOST_TEST_REQUIRE(got.item.has_value());
  BOOST_TEST(same_item(*got.item, news(4, "honest")));
  BOOST_TEST(net.node(20).stats().refused.bad_value == bad_before + 2);
}

BOOST_AUTO_TEST_CASE(bucket_refresh_and_failed_nodes) {
  dht_config config;
  config.bucket_refresh = 3min;
  dht_network net{81};
  net.grow(80, config);
  uint64_t before = net.node(10).stats().lookups;
  net.rt.run_until(net.rt.now() + 10min);
  BOOST_TEST(net.node(10).stats().lookups > before); // idle buckets were refreshed
  // Crash ten nodes: the others notice and drop them from their tables.
  std::set<node_id> dead;
  for (size_t i = 50; i < 60; ++i)
    dead.insert(net.node(i).id());
  auto entries_for_dead = [&] {
    size_t known = 0;
    for (size_t i = 0; i < 40; ++i)
      for (const node_id& id : dead)
        known += net.node(i).table().find(id) != nullptr;
    return known;
  };
  size_t known_before = entries_for_dead();
  for (size_t i = 50; i < 60; ++i)
    net.rt.crash(net.hosts[i]);
  // Lookups for the dead nodes' IDs run into their silence.
  rng r{82};
  for (int round = 0; round < 4; ++round) {
    for (const node_id& id : dead)
      net.find_node(static_cast<size_t>(r.below(40)), id);
  }
  net.rt.run_until(net.rt.now() + 30min);
  size_t still_known = entries_for_dead();
  BOOST_TEST_MESSAGE(known_before << " entries for the dead nodes in 40 tables, " << still_known
                                  << " left after 30 min");
  BOOST_TEST(known_before >= 50u);
  BOOST_TEST(still_known * 20 < known_before);
  uint64_t timeouts = 0;
  for (size_t i = 0; i < 40; ++i)
    timeouts += net.node(i).stats()[discovery_op::find_node].timeouts;
  BOOST_TEST(timeouts > 0u);
}

BOOST_AUTO_TEST_CASE(bootstrap_retries_while_the_table_is_empty) {
  dht_network net{91};
  auto [probe_id, silent] = net.add_probe(id_of("silent"));
  (void)probe_id;
  dht_config config;
  config.bootstrap = {silent->local()};
  config.bootstrap_retry = 10s;
  size_t lonely = net.add_node(config);
  net.rt.run_until(35s);
  // At 0, 10, 20 and 30 s.
  BOOST_TEST(silent->received.size() == 4u);
  BOOST_TEST(net.node(lonely).table().empty());
  // A real node appears behind the address list: the next retry joins it.
  size_t other = net.add_node(dht_config{});
  net.with(lonely, [&](dht& d, context& ctx) { d.bootstrap(ctx, {net.address(other)}); });
  net.rt.run_until(net.rt.now() + 5s);
  BOOST_TEST(net.node(lonely).table().size() == 1u);
  size_t asked = silent->received.size();
  net.rt.run_until(net.rt.now() + 60s);
  BOOST_TEST(silent->received.size() == asked); // no more retries once joined
}

BOOST_AUTO_TEST_CASE(same_seed_same_digest) {
  auto run = [](uint64_t seed) {
    dht_network net{seed};
    net.grow(64, dht_config{}, 20ms, 20s);
    node_id topic = id_of("determinism");
    net.announce(5, topic, 7000);
    net.lookup_peers(9, topic);
    net.put_value(11, news(1, "v"));
    net.get_value(12, key_number(1).pk, news_salt);
    net.rt.run_until(net.rt.now() + 60s);
    uint64_t datagrams = 0;
    for (size_t i = 0; i < net.nodes.size(); ++i)
      datagrams += net.node(i).stats().datagrams_sent;
    return std::make_pair(net.rt.digest(), datagrams);
  };
  auto a = run(1234);
  auto b = run(1234);
  auto c = run(1235);
  BOOST_TEST(a.first == b.first);
  BOOST_TEST(a.second == b.second);
  BOOST_TEST(a.first != c.first);
}

BOOST_AUTO_TEST_SUITE_END()
