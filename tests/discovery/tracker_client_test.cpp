// The tracker client in the simulator: swarms' find_peers become lookups and announces at every
// tracker, peers_found reach the requesting components until stop_finding, lost datagrams are
// retried, and replies that are not answers to its own requests change nothing.

#include "dynfeed/discovery/tracker.hpp"

#include <boost/test/unit_test.hpp>

#include "support/print.hpp"
#include "support/tracker_world.hpp"

using namespace dynfeed;
using namespace dynfeed::test;
using namespace std::chrono_literals;
namespace tracker = dynfeed::msg::tracker;

namespace {

const hash256 topic = topic_number(1);
using strings = std::set<std::string>;

tracker_client_config fast_client() {
  tracker_client_config c;
  c.lookup_interval = 10s;
  c.announce_interval = 20s;
  c.request_timeout = 500ms;
  c.attempts_max = 4;
  return c;
}

tracker_server_config short_ttl() {
  tracker_server_config c;
  c.record_ttl = 60s;
  c.sweep_interval = 5s;
  return c;
}

/// Every node's address but `self`'s.
strings others(const std::vector<tracker_world::node>& nodes, size_t self) {
  strings out;
  for (size_t i = 0; i < nodes.size(); ++i)
    if (i != self)
      out.insert(nodes[i].address.to_string());
  return out;
}

strings texts(const std::vector<endpoint>& peers) {
  strings out;
  for (const endpoint& e : peers)
    out.insert(e.to_string());
  return out;
}

/// The one packet among `received` (the test fails if there is not exactly one).
tracker::packet one_of(const std::vector<std::pair<endpoint, bytes>>& received) {
  BOOST_REQUIRE_EQUAL(received.size(), 1u);
  auto p = tracker::decode(received[0].second);
  BOOST_REQUIRE(p.has_value());
  return std::move(*p);
}

} // namespace

BOOST_AUTO_TEST_SUITE(tracker_client_tests)

BOOST_AUTO_TEST_CASE(nodes_find_each_other_but_not_themselves) {
  tracker_world w{21, short_ttl()};
  std::vector<tracker_world::node> nodes;
  for (int i = 0; i < 3; ++i)
    nodes.push_back(w.add_node(topic, true, fast_client()));
  // Only the requester announced nothing: it finds the others and nobody finds it.
  auto quiet = w.add_node(topic, false, fast_client());
  w.rt.run_until(30s);

  for (size_t i = 0; i < nodes.size(); ++i)
    BOOST_TEST(w.asker(nodes[i]).addresses == others(nodes, i));
  BOOST_TEST(w.asker(quiet).addresses == others(nodes, nodes.size()));
  BOOST_TEST(texts(w.srv().peers_of(topic, w.rt.now())) == others(nodes, nodes.size()));

  for (const auto& n : nodes) {
    const discovery_stats& s = w.client(n).stats();
    const op_counters& lookups = s[discovery_op::tracker_lookup];
    const op_counters& announces = s[discovery_op::tracker_announce];
    BOOST_TEST(lookups.queries_sent >= 3u); // at 0, about 10 and about 20 s
    BOOST_TEST(lookups.responses_received == lookups.queries_sent);
    BOOST_TEST(lookups.timeouts == 0u);
    BOOST_TEST(s.lookups == lookups.responses_received);
    BOOST_TEST(s.lookup_hops == s.lookups);
    BOOST_TEST(s.lookup_hops_max == 1u);
    BOOST_TEST(announces.queries_sent >= 2u); // at 0 and after 20 s
    BOOST_TEST(announces.responses_received == announces.queries_sent);
    BOOST_TEST(announces.errors_received == 0u);
    BOOST_TEST(s.datagrams_sent == lookups.queries_sent + announces.queries_sent);
    BOOST_TEST(s.datagrams_received == s.datagrams_sent);
    BOOST_TEST(s.by_topic.at(topic) == 2 * s.datagrams_sent);
    BOOST_TEST(s.records_held == 0u);
  }
  BOOST_TEST(w.client(quiet).stats()[discovery_op::tracker_announce].queries_sent == 0u);
  BOOST_TEST(w.server_stats().records_held == 3u);
}

BOOST_AUTO_TEST_CASE(records_live_as_long_as_nodes_announce) {
  tracker_world w{22, short_ttl()};
  std::vector<tracker_world::node> nodes;
  for (int i = 0; i < 2; ++i)
    nodes.push_back(w.add_node(topic, true, fast_client()));
  w.rt.run_until(5min);
  BOOST_TEST(texts(w.srv().peers_of(topic, w.rt.now())) == others(nodes, nodes.size()));
  for (const auto& n : nodes) {
    const discovery_stats& s = w.client(n).stats();
    BOOST_TEST_MESSAGE("5 min: " << s[discovery_op::tracker_lookup].queries_sent << " lookups, "
                       << s[discovery_op::tracker_announce].queries_sent << " announces, "
                       << s.bytes_sent << " bytes sent, " << s.bytes_received << " received");
    // Every 10 to 11 s a lookup, every 20 to 22 s an announce (after a lookup for the token).
    BOOST_TEST(s[discovery_op::tracker_lookup].queries_sent >= 27u);
    BOOST_TEST(s[discovery_op::tracker_lookup].queries_sent <= 31u);
    BOOST_TEST(s[discovery_op::tracker_announce].queries_sent >= 13u);
    BOOST_TEST(s[discovery_op::tracker_announce].queries_sent <= 16u);
  }
}

BOOST_AUTO_TEST_CASE(stop_finding_ends_lookups_and_announces) {
  tracker_world w{23, short_ttl()};
  auto leaver = w.add_node(topic, true, fast_client());
  auto stayer = w.add_node(topic, true, fast_client());
  // A second requester for the same topic on the leaver's node.
  component_id second = w.rt.spawn(std::make_unique<requester>(leaver.client, topic, false),
                                   leaver.host);
  w.rt.run_until(30s);
  BOOST_TEST(w.asker(leaver).addresses == strings{stayer.address.to_string()});
  BOOST_TEST(static_cast<requester&>(*w.rt.find(second)).addresses
             == strings{stayer.address.to_string()});
  BOOST_TEST(w.asker(stayer).addresses == strings{leaver.address.to_string()});

  // The first requester leaves: the other one still hears, and the node still announces.
  w.stop(leaver);
  w.rt.run_until(w.rt.now() + 1s);
  uint64_t reports = w.asker(leaver).reports;
  uint64_t second_reports = static_cast<requester&>(*w.rt.find(second)).reports;
  w.rt.run_until(w.rt.now() + 30s);
  BOOST_TEST(w.asker(leaver).reports == reports);
  BOOST_TEST(static_cast<requester&>(*w.rt.find(second)).reports > second_reports);
  BOOST_TEST(w.client(leaver).topic_count() == 1u);

  // The second (which never asked to announce) leaves too: the topic is dropped.
  w.rt.with(second, [](component& c, context& ctx) { static_cast<requester&>(c).stop(ctx); });
  w.rt.run_until(w.rt.now() + 1s);
  BOOST_TEST(w.client(leaver).topic_count() == 0u);
  BOOST_TEST(w.client(leaver).pending_count() == 0u);
  const discovery_stats before = w.client(leaver).stats();
  second_reports = static_cast<requester&>(*w.rt.find(second)).reports;
  w.rt.run_until(w.rt.now() + 3min);
  const discovery_stats& after = w.client(leaver).stats();
  BOOST_TEST(after.datagrams_sent == before.datagrams_sent);
  BOOST_TEST(static_cast<requester&>(*w.rt.find(second)).reports == second_reports);
  // Its record expired at the tracker; the stayer's lives on.
  BOOST_TEST(texts(w.srv().peers_of(topic, w.rt.now())) == strings{stayer.address.to_string()});
}

BOOST_AUTO_TEST_CASE(lookups_survive_packet_loss) {
  sim::network_config net;
  net.loss = 0.3;
  net.duplicate = 0.05;
  net.reorder = 0.1;
  tracker_world w{24, short_ttl(), net};
  std::vector<tracker_world::node> nodes;
  for (int i = 0; i < 4; ++i)
    nodes.push_back(w.add_node(topic, true, fast_client()));
  w.rt.run_until(3min);
  uint64_t timeouts = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    BOOST_TEST(w.asker(nodes[i]).addresses == others(nodes, i));
    const discovery_stats& s = w.client(nodes[i]).stats();
    timeouts += s[discovery_op::tracker_lookup].timeouts + s[discovery_op::tracker_announce].timeouts;
    BOOST_TEST(s.lookups > 5u);
  }
  BOOST_TEST_MESSAGE("lost " << w.rt.stats().datagrams_lost << " of "
                     << w.rt.stats().datagrams + w.rt.stats().datagrams_lost << " datagrams, "
                     << timeouts << " timeouts");
  BOOST_TEST(timeouts > 0u);
  BOOST_TEST(w.rt.stats().datagrams_lost > 0u);
}

BOOST_AUTO_TEST_CASE(a_dead_tracker_does_not_stop_a_live_one) {
  tracker_world w{25, short_ttl()};
  tracker_client_config c = fast_client();
  c.trackers = {endpoint{ipv4(10, 0, 0, 99), 6881}, w.tracker_at};
  auto a = w.add_node(topic, true, c);
  auto b = w.add_node(topic, true, c);
  w.rt.run_until(1min);
  BOOST_TEST(w.asker(a).addresses == strings{b.address.to_string()});
  BOOST_TEST(w.asker(b).addresses == strings{a.address.to_string()});
  const discovery_stats& s = w.client(a).stats();
  // The dead one: four sends per round (0.5 + 1 + 2 + 4 s), then a round's wait.
  BOOST_TEST(s[discovery_op::tracker_lookup].timeouts >= 8u);
  BOOST_TEST(s[discovery_op::tracker_lookup].responses_received >= 5u);
}

BOOST_AUTO_TEST_CASE(only_answers_from_the_tracker_asked_count) {
  tracker_world w{26};
  component_id fake = w.add_probe(ipv4(10, 0, 0, 50), 6881);
  component_id other = w.add_probe(ipv4(10, 0, 0, 51), 6881);
  const endpoint fake_at = w.get_probe(fake).local();
  tracker_client_config c = fast_client();
  c.trackers = {fake_at};
  c.request_timeout = 5s; // the test answers by hand
  auto n = w.add_node(topic, true, c);
  const endpoint client_at{n.address.ip, tracker_world::client_port};
  w.rt.run_until(100ms);

  tracker::packet asked = one_of(w.get_probe(fake).inbox);
  auto* l = std::get_if<tracker::lookup>(&asked.what);
  BOOST_REQUIRE(l);
  BOOST_TEST(l->topic == topic);
  BOOST_TEST(l->port == 7000);
  const uint64_t t = asked.transaction;
  tracker::lookup_reply reply;
  reply.token = bytes(16, 3);
  reply.observed_ip = ipv4(192, 168, 0, 5); // behind a NAT
  reply.peers = {endpoint{0, 1}, endpoint{ipv4(10, 9, 9, 9), 0}, n.address,
                 endpoint{ipv4(192, 168, 0, 5), 7000}, endpoint{ipv4(10, 0, 0, 7), 7000},
                 endpoint{ipv4(10, 0, 0, 7), 7000}, endpoint{ipv4(10, 0, 0, 8), 7001}};

  // The right answer from another address, an unknown transaction, the wrong kind of reply, a
  // request and junk: all refused, none answers the lookup.
  w.exchange(other, tracker::encode({t, reply}), 100ms, &client_at);
  w.exchange(fake, tracker::encode({t + 1, reply}), 100ms, &client_at);
  w.exchange(fake, tracker::encode({t, tracker::announce_reply{}}), 100ms, &client_at);
  w.exchange(fake, tracker::encode({t, tracker::lookup{topic, 1}}), 100ms, &client_at);
  w.exchange(fake, bytes(40, 0xee), 100ms, &client_at);
  {
    const discovery_stats& s = w.client(n).stats();
    BOOST_TEST(s.refused.unsolicited == 2u);
    BOOST_TEST(s.refused.malformed == 3u);
    BOOST_TEST(s.lookups == 0u);
    BOOST_TEST(w.asker(n).reports == 0u);
  }

  // The answer: unreachable addresses, the node itself (at its own and at its observed
  // address) and duplicates are left out. An announce with the token follows.
  tracker::packet ann = one_of(w.exchange(fake, tracker::encode({t, reply}), 100ms, &client_at));
  BOOST_TEST(w.asker(n).addresses == (strings{"10.0.0.7:7000", "10.0.0.8:7001"}));
  BOOST_TEST(w.client(n).stats().lookups == 1u);
  auto* a = std::get_if<tracker::announce>(&ann.what);
  BOOST_REQUIRE(a);
  BOOST_TEST(a->token == reply.token);
  BOOST_TEST(a->port == 7000);
  BOOST_TEST(a->topic == topic);

  // The same answer again is no longer awaited.
  BOOST_TEST(w.exchange(fake, tracker::encode({t, reply}), 100ms, &client_at).empty());
  BOOST_TEST(w.client(n).stats().refused.unsolicited == 3u);
  BOOST_TEST(w.client(n).stats().lookups == 1u);

  // A refused token: one fresh lookup and announce in the same round, then the round ends.
  const tracker::error_reply refused{static_cast<uint16_t>(tracker::error_code::bad_token), "no"};
  tracker::packet again =
    one_of(w.exchange(fake, tracker::encode({ann.transaction, refused}), 100ms, &client_at));
  BOOST_REQUIRE(std::holds_alternative<tracker::lookup>(again.what));
  reply.token = bytes(16, 4);
  tracker::packet ann2 =
    one_of(w.exchange(fake, tracker::encode({again.transaction, reply}), 100ms, &client_at));
  BOOST_REQUIRE(std::holds_alternative<tracker::announce>(ann2.what));
  BOOST_TEST(std::get<tracker::announce>(ann2.what).token == reply.token);
  BOOST_TEST(w.exchange(fake, tracker::encode({ann2.transaction, refused}), 100ms, &client_at).empty());
  const discovery_stats& s = w.client(n).stats();
  BOOST_TEST(s[discovery_op::tracker_announce].errors_received == 2u);
  BOOST_TEST(s[discovery_op::tracker_announce].queries_sent == 2u);
  BOOST_TEST(s[discovery_op::tracker_lookup].queries_sent == 2u);
  BOOST_TEST(s.lookups == 2u);
  // The next round comes a lookup interval later.
  w.rt.run_until(w.rt.now() + 9s);
  BOOST_TEST(w.get_probe(fake).inbox.empty());
  w.rt.run_until(w.rt.now() + 3s);
  BOOST_TEST(std::holds_alternative<tracker::lookup>(one_of(w.get_probe(fake).inbox).what));
}

BOOST_AUTO_TEST_CASE(client_topics_are_bounded) {
  tracker_world w{27};
  tracker_client_config c = fast_client();
  c.topics_max = 1;
  auto n = w.add_node(topic_number(1), true, c);
  component_id extra = w.rt.spawn(std::make_unique<requester>(n.client, topic_number(2), true),
                                  n.host);
  w.rt.run_until(1s);
  BOOST_TEST(w.client(n).topic_count() == 1u);
  BOOST_TEST(static_cast<requester&>(*w.rt.find(extra)).reports == 0u);
  BOOST_TEST(w.client(n).stats().by_topic.count(topic_number(2)) == 0u);
}

BOOST_AUTO_TEST_CASE(a_reader_before_the_writer_hears_of_it_soon) {
  tracker_world w{28};      // records live 15 min
  tracker_client_config c; // lookups every 2 min, announces every 5
  auto reader = w.add_node(topic, false, c);
  w.rt.run_until(3s);
  BOOST_TEST(w.asker(reader).addresses.empty());
  auto writer = w.add_node(topic, true, c); // announces at once
  // The reader's lookups found nobody: the next come after 1, 2, 4, 8 s... (and 10 % jitter),
  // not after 2 min.
  w.rt.run_until(12s);
  BOOST_TEST(w.asker(reader).addresses == strings{writer.address.to_string()});
  const op_counters& lookups = w.client(reader).stats()[discovery_op::tracker_lookup];
  uint64_t sent = lookups.queries_sent;
  BOOST_TEST(sent >= 3u); // at 0, about 1 and about 3 s
  BOOST_TEST(sent <= 5u);
  w.rt.run_until(20s);
  BOOST_TEST(lookups.queries_sent == sent);
  // Having found someone, it looks up every lookup_interval again.
  w.rt.run_until(4min + 20s);
  BOOST_TEST(lookups.queries_sent - sent >= 1u);
  BOOST_TEST(lookups.queries_sent - sent <= 2u);
}

BOOST_AUTO_TEST_CASE(announces_start_once_the_port_is_known) {
  tracker_world w{29, short_ttl()};
  auto writer = w.add_node(topic, true, fast_client(), 0); // not listening yet: lookups only
  w.rt.run_until(30s);
  const discovery_stats& s = w.client(writer).stats();
  BOOST_TEST(s[discovery_op::tracker_lookup].queries_sent >= 3u);
  BOOST_TEST(s[discovery_op::tracker_announce].queries_sent == 0u);
  BOOST_TEST(w.srv().peers_of(topic, w.rt.now()).empty());
  w.rt.with(writer.client, [](component& c, context& ctx) {
    static_cast<tracker_client&>(c).set_announce_port(ctx, 7100);
  });
  w.rt.run_until(w.rt.now() + 1s); // at once, not at the next round (10 s)
  BOOST_TEST(s[discovery_op::tracker_announce].queries_sent == 1u);
  endpoint announced{writer.address.ip, 7100};
  BOOST_TEST(texts(w.srv().peers_of(topic, w.rt.now())) == strings{announced.to_string()});
}

BOOST_AUTO_TEST_CASE(same_seed_same_run) {
  auto run = [](uint64_t seed) {
    sim::network_config net;
    net.loss = 0.2;
    net.duplicate = 0.05;
    tracker_world w{seed, short_ttl(), net};
    std::vector<tracker_world::node> nodes;
    for (int i = 0; i < 5; ++i)
      nodes.push_back(w.add_node(topic_number(static_cast<uint8_t>(1 + i % 2)), i != 4, fast_client()));
    w.rt.run_until(90s);
    w.stop(nodes[0]);
    w.rt.run_until(3min);
    uint64_t sent = 0;
    for (const auto& n : nodes)
      sent += w.client(n).stats().datagrams_sent;
    return std::make_tuple(w.rt.digest(), w.rt.events(), sent, w.server_stats().bytes_sent);
  };
  auto first = run(7);
  BOOST_TEST_MESSAGE("digest " << std::get<0>(first) << ", " << std::get<1>(first) << " events");
  BOOST_TEST((run(7) == first));
  BOOST_TEST(std::get<0>(run(8)) != std::get<0>(first));
}

BOOST_AUTO_TEST_SUITE_END()
