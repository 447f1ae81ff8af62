// NAT for datagrams (docs/simulator.md, "A measured network"): a host behind NAT takes a
// datagram only from an address and port it sent one to within the mapping timeout; NATed DHT
// nodes run read-only (BEP 43), stay out of routing tables, and still get their answers.

#include "dynfeed/sim/network.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/sim/runtime.hpp"
#include "dynfeed/sim/simulation.hpp"
#include "support/dht_sim.hpp"

#include <nlohmann/json.hpp>

using namespace dynfeed;
using namespace dynfeed::sim;
using namespace dynfeed::test;
using namespace std::chrono_literals;

namespace {

/// `public_count` DHT nodes on public hosts, grown as the DHT tests grow theirs.
void grow_public(dht_network& net, size_t public_count) {
  net.grow(public_count, dht_config{}, 20ms, 30s);
}

/// A DHT node on a new host behind NAT (read-only or not), bootstrapping from node 0.
size_t add_nated_node(dht_network& net, bool read_only) {
  dht_config config;
  config.read_only = read_only;
  config.bootstrap = {net.address(0)};
  sim::host_id h = net.new_host();
  net.rt.net().set_nat(h, true); // before its first datagram: the node starts on the next step
  component_id id = net.rt.open_datagram(h, dht_port, [&](datagram_socket& s) {
    return std::make_unique<dht>(config, s);
  });
  net.nodes.push_back(id);
  net.hosts.push_back(h);
  return net.nodes.size() - 1;
}

/// Public nodes whose routing table holds `id`.
size_t tables_holding(dht_network& net, const node_id& id, size_t public_count) {
  size_t holders = 0;
  for (size_t i = 0; i < public_count; ++i)
    for (const auto& n : net.node(i).table().closest(id, 1))
      holders += n.id == id;
  return holders;
}

} // namespace

BOOST_AUTO_TEST_SUITE(nat_datagrams)

BOOST_AUTO_TEST_CASE(a_nated_host_takes_only_replies_through_a_live_mapping) {
  network net;
  reachability rules;
  rules.udp_mapping_timeout = 120s;
  net.set_reachability(rules);
  host_id inside = net.add_host(host_config{0x0a000001, 0, 0, 0});
  host_id outside = net.add_host(host_config{0x0a000002, 0, 0, 0});
  host_id third = net.add_host(host_config{0x0a000003, 0, 0, 0});
  endpoint in{0x0a000001, 6881}, out{0x0a000002, 6881}, out_other_port{0x0a000002, 6882},
    stranger{0x0a000003, 6881};
  // Nobody is behind NAT: everything passes and nothing is kept.
  BOOST_TEST(net.nat_admits(outside, out, inside, in, 0s));
  BOOST_TEST(net.udp_mappings() == 0u);

  net.set_nat(inside, true);
  BOOST_TEST(!net.nat_admits(outside, out, inside, in, 1s)); // unsolicited
  BOOST_TEST(net.nat_admits(inside, in, outside, out, 2s));  // our query opens a mapping
  BOOST_TEST(net.udp_mappings() == 1u);
  BOOST_TEST(net.nat_admits(outside, out, inside, in, 3s));  // its reply passes
  BOOST_TEST(!net.nat_admits(outside, out_other_port, inside, in, 3s)); // port-dependent
  BOOST_TEST(!net.nat_admits(third, stranger, inside, in, 3s));         // address-dependent
  BOOST_TEST(net.nat_admits(outside, out, inside, in, 121s));
  BOOST_TEST(!net.nat_admits(outside, out, inside, in, 122s)); // expired 120 s after it was sent
  BOOST_TEST(net.nat_admits(inside, in, outside, out, 200s));  // sending again refreshes it
  BOOST_TEST(net.nat_admits(outside, out, inside, in, 319s));
  // Between two NATed hosts the first datagram is dropped but opens its sender's mapping, so
  // the answer the other way passes and opens the way back (what a hole punch does).
  net.set_nat(third, true);
  BOOST_TEST(!net.nat_admits(third, stranger, inside, in, 400s));
  BOOST_TEST(net.nat_admits(inside, in, third, stranger, 401s));
  BOOST_TEST(net.nat_admits(third, stranger, inside, in, 402s));
}

BOOST_AUTO_TEST_CASE(lapsed_mappings_go_when_the_table_would_grow) {
  // A NATed host sends to a new remote every second, 1,000 of them: its table holds the
  // mappings of the last 120 s and a few lapsed ones, not every remote it ever sent to; the
  // live ones still admit their replies and the lapsed ones do not.
  network net;
  net.set_reachability(reachability{});
  host_id inside = net.add_host(host_config{0x0a000001, 0, 0, 0});
  host_id outside = net.add_host(host_config{0x0a000002, 0, 0, 0});
  net.set_nat(inside, true);
  endpoint in{0x0a000001, 6881};
  auto remote = [](uint16_t i) { return endpoint{0x0a000002, static_cast<uint16_t>(1000 + i)}; };
  size_t most = 0;
  for (uint16_t i = 0; i < 1000; ++i) {
    BOOST_TEST(net.nat_admits(inside, in, outside, remote(i), std::chrono::seconds{i}));
    most = std::max(most, net.udp_mappings());
  }
  BOOST_TEST(most <= 2 * 121u);
  clock_time now = std::chrono::seconds{999};
  BOOST_TEST(net.nat_admits(outside, remote(999), inside, in, now));
  BOOST_TEST(net.nat_admits(outside, remote(880), inside, in, now));  // sent 119 s ago
  BOOST_TEST(!net.nat_admits(outside, remote(879), inside, in, now)); // lapsed at 999 s
  BOOST_TEST(!net.nat_admits(outside, remote(10), inside, in, now));
}

BOOST_AUTO_TEST_CASE(the_runtime_drops_unsolicited_datagrams_to_a_nated_host) {
  dht_network net{5};
  auto [inside_id, inside] = net.add_probe(id_of("inside"));
  auto [outside_id, outside] = net.add_probe(id_of("outside"));
  (void)inside_id;
  (void)outside_id;
  net.rt.net().set_nat(net.rt.net().host_count() - 2, true);
  net.rt.run_until(1s);
  outside->query(inside->local(), tid(1), krpc::ping{});
  net.rt.run_until(2s);
  BOOST_TEST(inside->received.empty());
  BOOST_TEST(net.rt.stats().datagrams_filtered == 1u);
  BOOST_TEST(net.rt.stats().datagrams_lost == 0u); // filtered is not lost
  inside->query(outside->local(), tid(2), krpc::ping{});
  net.rt.run_until(3s);
  BOOST_TEST(outside->received.size() == 1u);
  outside->query(inside->local(), tid(3), krpc::ping{}); // now through the mapping
  net.rt.run_until(4s);
  BOOST_TEST(inside->received.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_read_only_nated_node_gets_answers_and_stays_out_of_tables) {
  const size_t publics = 40;
  dht_network net{21};
  grow_public(net, publics);
  size_t nated = add_nated_node(net, true);
  net.rt.run_until(net.rt.now() + 60s);
  const node_id me = net.node(nated).id();
  BOOST_TEST(!net.node(nated).table().empty()); // it learnt the network from answers
  BOOST_TEST(tables_holding(net, me, publics) == 0u);

  // Its queries get their answers: a lookup converges, an announce stores, a record is found.
  node_id topic = id_of("topic");
  BOOST_TEST_REQUIRE(net.announce(3, topic, 7000).stored > 0u);
  dht_lookup_result found = net.lookup_peers(nated, topic);
  BOOST_TEST(!found.err);
  BOOST_TEST(found.closest.size() == routing_config{}.k);
  BOOST_TEST(found.peers.size() == 1u);
  BOOST_TEST(found.timeouts == 0u);
  BOOST_TEST(net.announce(nated, id_of("mine"), 7001).stored > 0u);

  // Nobody's query reaches it, and it sent none of its own answers.
  auto [probe_id, p] = net.add_probe(id_of("prober"));
  (void)probe_id;
  uint64_t filtered = net.rt.stats().datagrams_filtered;
  p->query(net.address(nated), tid(9), krpc::ping{});
  net.rt.run_until(net.rt.now() + 5s);
  BOOST_TEST(p->received.empty());
  BOOST_TEST(net.rt.stats().datagrams_filtered == filtered + 1);
  BOOST_TEST(net.node(nated).stats()[discovery_op::ping].responses_sent == 0u);
  BOOST_TEST(net.node(nated).stats()[discovery_op::find_node].responses_sent == 0u);
}

BOOST_AUTO_TEST_CASE(a_nated_node_that_is_not_read_only_gets_into_tables_and_costs_timeouts) {
  // The contrast that makes read-only worth it: without `ro`, public nodes note the NATed
  // node from its queries, and their later queries to it vanish at its NAT.
  const size_t publics = 40;
  dht_network net{21};
  grow_public(net, publics);
  size_t nated = add_nated_node(net, false);
  net.rt.run_until(net.rt.now() + 60s);
  BOOST_TEST(tables_holding(net, net.node(nated).id(), publics) > 0u);
  uint64_t filtered = net.rt.stats().datagrams_filtered;
  for (int i = 0; i < 10; ++i)
    (void)net.find_node(static_cast<size_t>(i), net.node(nated).id());
  BOOST_TEST(net.rt.stats().datagrams_filtered > filtered);
}

BOOST_AUTO_TEST_CASE(readers_behind_nat_find_each_other_through_a_read_only_dht) {
  scenario s;
  s.name = "nat-dht";
  s.seed = 3;
  s.readers = 40;
  s.duration = 300s;
  s.join_to = 20s;
  s.first_append = 40s;
  s.append_interval = 20s;
  s.settle = 100s;
  s.initial_blocks = 4;
  s.block_size = 256;
  s.discovery = discovery_backend::dht;
  s.lookup_interval = 10s;
  s.population.nat_share = 0.5;
  s.population.reach.hole_punch = true;
  s.population.reach.hole_punch_delay_s = distribution::lognormal(1.819, 0.178);
  s.population.reach.hole_punch_success = 0.7;
  runtime drv(s.seed, s.network);
  simulation sim(s, drv);
  sim.run();
  BOOST_TEST(!sim.violation().has_value());
  auto summary = nlohmann::json::parse(sim.summary_json());
  uint64_t appends = summary["appends"];
  BOOST_TEST(appends > 5u);
  BOOST_TEST(summary["writerLength"].get<uint64_t>() == s.initial_blocks + appends);
  BOOST_TEST(sim.nodes().punched() > 0u);
  BOOST_TEST_MESSAGE("datagrams filtered at NATs: " << drv.stats().datagrams_filtered);
}

BOOST_AUTO_TEST_SUITE_END()
