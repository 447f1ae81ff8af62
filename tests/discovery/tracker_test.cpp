// The tracker server in the simulator: records hold the announcer's source address, tokens,
// expiry, the rate limit, quotas and eviction, and hostile datagrams that change nothing.

#include "dynfeed/discovery/tracker.hpp"

#include <boost/test/unit_test.hpp>

#include "support/print.hpp"
#include "support/tracker_world.hpp"

using namespace dynfeed;
using namespace dynfeed::test;
using namespace std::chrono_literals;
namespace tracker = dynfeed::msg::tracker;

namespace {

constexpr uint16_t bad_token = static_cast<uint16_t>(tracker::error_code::bad_token);
constexpr uint16_t storage_full = static_cast<uint16_t>(tracker::error_code::storage_full);
constexpr uint16_t invalid_request = static_cast<uint16_t>(tracker::error_code::invalid_request);

const hash256 topic = topic_number(1);

std::vector<std::string> texts(const std::vector<endpoint>& peers) {
  std::vector<std::string> out;
  for (const endpoint& e : peers)
    out.push_back(e.to_string());
  std::sort(out.begin(), out.end());
  return out;
}

using strings = std::vector<std::string>;

} // namespace

BOOST_AUTO_TEST_SUITE(tracker_server_tests)

BOOST_AUTO_TEST_CASE(an_announce_is_found_as_source_address_and_port) {
  tracker_world w{1};
  component_id a = w.add_probe(ipv4(10, 0, 0, 2));
  component_id b = w.add_probe(ipv4(10, 0, 0, 3));

  BOOST_TEST(w.lookup(b, topic).peers.empty());
  BOOST_TEST(w.join(a, topic, 7000) == 0);
  auto found = w.lookup(b, topic);
  // The source IP of the announce, with the port it announced (not its UDP port, 5000).
  BOOST_TEST(texts(found.peers) == strings{"10.0.0.2:7000"});
  BOOST_TEST(found.observed_ip == ipv4(10, 0, 0, 3));
  BOOST_TEST(found.token.size() == w.srv().config().token_size);

  const discovery_stats& s = w.server_stats();
  BOOST_TEST(s.records_held == 1u);
  BOOST_TEST(s[discovery_op::tracker_lookup].queries_received == 3u);
  BOOST_TEST(s[discovery_op::tracker_lookup].responses_sent == 3u);
  BOOST_TEST(s[discovery_op::tracker_announce].queries_received == 1u);
  BOOST_TEST(s[discovery_op::tracker_announce].responses_sent == 1u);
  BOOST_TEST(s[discovery_op::tracker_announce].errors_sent == 0u);
  BOOST_TEST(s.datagrams_received == 4u);
  BOOST_TEST(s.datagrams_sent == 4u);
  BOOST_TEST(s.bytes_received > 0u);
  BOOST_TEST(s.bytes_sent > 0u);
  BOOST_TEST(s.by_topic.at(topic) == 8u);      // each request and each reply
  BOOST_TEST(s.refused.malformed + s.refused.unsolicited + s.refused.rate_limited
               + s.refused.bad_token + s.refused.storage_full == 0u);
}

BOOST_AUTO_TEST_CASE(the_asker_is_not_told_about_itself) {
  tracker_world w{2};
  component_id a = w.add_probe(ipv4(10, 0, 0, 2));
  component_id b = w.add_probe(ipv4(10, 0, 0, 3));
  BOOST_TEST(w.join(a, topic, 7000) == 0);
  BOOST_TEST(w.join(b, topic, 7000) == 0);
  BOOST_TEST(texts(w.lookup(a, topic, 7000).peers) == strings{"10.0.0.3:7000"});
  BOOST_TEST(texts(w.lookup(b, topic, 7000).peers) == strings{"10.0.0.2:7000"});
  // Another port at the same address is another node (behind the same NAT, say).
  BOOST_TEST(texts(w.lookup(a, topic, 7001).peers) == (strings{"10.0.0.2:7000", "10.0.0.3:7000"}));
  // Without a port the asker announced nothing, as far as the server knows.
  BOOST_TEST(w.lookup(a, topic).peers.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_lookup_returns_a_sample_of_a_large_topic) {
  tracker_server_config config;
  config.lookup_peers_max = 5;
  config.records_per_source_max = 100;
  config.burst = 100;
  tracker_world w{3, config};
  component_id a = w.add_probe(ipv4(10, 0, 0, 2));
  component_id b = w.add_probe(ipv4(10, 0, 0, 3));
  bytes token = w.lookup(a, topic).token;
  for (uint16_t port = 7000; port < 7020; ++port)
    BOOST_REQUIRE(w.announce(a, topic, port, token) == 0);
  std::set<std::string> seen;
  for (int i = 0; i < 10; ++i) {
    auto peers = w.lookup(b, topic).peers;
    BOOST_REQUIRE(peers.size() == 5u);
    BOOST_TEST(std::set<endpoint>(peers.begin(), peers.end()).size() == 5u); // no duplicates
    for (const endpoint& e : peers)
      seen.insert(e.to_string());
  }
  BOOST_TEST(seen.size() > 10u); // not always the same five
}

// A topic smaller than a reply comes back whole, in random order: askers keep only the first
// few addresses (a swarm's discovered_max), and in address order every asker kept the same
// ones and filled their inbound slots (campaign seed 244).
BOOST_AUTO_TEST_CASE(a_small_topic_comes_back_whole_in_random_order) {
  tracker_server_config config;
  config.records_per_source_max = 100;
  config.burst = 100;
  tracker_world w{4, config};
  component_id a = w.add_probe(ipv4(10, 0, 0, 2));
  component_id b = w.add_probe(ipv4(10, 0, 0, 3));
  bytes token = w.lookup(a, topic).token;
  for (uint16_t port = 7000; port < 7020; ++port)
    BOOST_REQUIRE(w.announce(a, topic, port, token) == 0);
  std::set<std::string> first_fours;
  std::set<std::string> firsts;
  for (int i = 0; i < 10; ++i) {
    auto peers = w.lookup(b, topic).peers;
    BOOST_REQUIRE(peers.size() == 20u);
    BOOST_TEST(std::set<endpoint>(peers.begin(), peers.end()).size() == 20u); // all, once
    std::vector<std::string> head = texts({peers.begin(), peers.begin() + 4});
    std::string joined;
    for (const std::string& h : head)
      joined += h + " ";
    first_fours.insert(joined);
    firsts.insert(peers.front().to_string());
  }
  BOOST_TEST(first_fours.size() > 5u); // not the same four first each time
  BOOST_TEST(firsts.size() > 3u);
}

BOOST_AUTO_TEST_CASE(records_expire_unless_announced_again) {
  tracker_server_config config;
  config.record_ttl = 60s;
  config.sweep_interval = 10s;
  config.token_rotation = 5min;
  tracker_world w{4, config};
  component_id a = w.add_probe(ipv4(10, 0, 0, 2));
  component_id b = w.add_probe(ipv4(10, 0, 0, 3));
  component_id c = w.add_probe(ipv4(10, 0, 0, 4));
  BOOST_TEST(w.join(a, topic, 7000) == 0);
  BOOST_TEST(w.join(c, topic, 7000) == 0);
  // c announces again every 40 s; a never does.
  for (int i = 0; i < 5; ++i) {
    w.rt.run_until(w.rt.now() + 38s);
    BOOST_TEST(w.join(c, topic, 7000) == 0);
  }
  BOOST_TEST((w.rt.now() > 3min));
  BOOST_TEST(texts(w.lookup(b, topic).peers) == strings{"10.0.0.4:7000"});
  // The sweep removed a's record: c's refreshed one is the only one held.
  BOOST_TEST(w.server_stats().records_held == 1u);
  BOOST_TEST(w.srv().topic_count() == 1u);

  w.rt.run_until(w.rt.now() + 70s);
  BOOST_TEST(w.lookup(b, topic).peers.empty());
  BOOST_TEST(w.server_stats().records_held == 0u);
  BOOST_TEST(w.srv().topic_count() == 0u);
}

BOOST_AUTO_TEST_CASE(a_record_expires_exactly_at_its_ttl) {
  tracker_server_config config;
  config.record_ttl = 60s;
  config.sweep_interval = 1h; // lookups must not return expired records before any sweep
  tracker_world w{5, config};
  component_id a = w.add_probe(ipv4(10, 0, 0, 2));
  component_id b = w.add_probe(ipv4(10, 0, 0, 3));
  BOOST_TEST(w.join(a, topic, 7000) == 0);
  w.rt.run_until(w.rt.now() + 57s);
  BOOST_TEST(w.lookup(b, topic).peers.size() == 1u);
  w.rt.run_until(w.rt.now() + 2s);
  BOOST_TEST(w.lookup(b, topic).peers.empty());
  BOOST_TEST(w.srv().peers_of(topic, w.rt.now()).empty());
}

BOOST_AUTO_TEST_CASE(announces_need_a_token_given_to_their_address) {
  tracker_server_config config;
  config.token_rotation = 60s;
  tracker_world w{6, config};
  component_id a = w.add_probe(ipv4(10, 0, 0, 2));
  component_id b = w.add_probe(ipv4(10, 0, 0, 3));
  bytes token_a = w.lookup(a, topic).token;

  BOOST_TEST(w.announce(a, topic, 7000, {}) == bad_token);                 // missing
  BOOST_TEST(w.announce(a, topic, 7000, bytes(token_a.size(), 0x5a)) == bad_token); // forged
  bytes flipped = token_a;
  flipped.back() ^= 1;
  BOOST_TEST(w.announce(a, topic, 7000, flipped) == bad_token);
  BOOST_TEST(w.announce(a, topic, 7000, bytes(token_a.begin(), token_a.begin() + 8)) == bad_token);
  BOOST_TEST(w.announce(b, topic, 7000, token_a) == bad_token); // a's token from b's address
  // Another port of b's host: the token is the address's, and b's is not a's.
  component_id b2 = w.add_probe(ipv4(10, 0, 0, 2), 5001);
  BOOST_TEST(w.lookup(b2, topic).token == token_a); // same IP, same token

  const discovery_stats& s = w.server_stats();
  BOOST_TEST(s.refused.bad_token == 5u);
  BOOST_TEST(s[discovery_op::tracker_announce].errors_sent == 5u);
  BOOST_TEST(s.records_held == 0u);
  BOOST_TEST(w.lookup(b, topic).peers.empty());

  // One rotation later the token still works; two rotations after it was given, it does not.
  w.rt.run_until(61s);
  BOOST_TEST(w.announce(a, topic, 7000, token_a) == 0);
  bytes token_a1 = w.lookup(a, topic).token;
  BOOST_TEST(token_a1 != token_a);
  w.rt.run_until(121s);
  BOOST_TEST(w.announce(a, topic, 7001, token_a) == bad_token);
  BOOST_TEST(w.announce(a, topic, 7001, token_a1) == 0); // given after the first rotation
  w.rt.run_until(181s);
  BOOST_TEST(w.announce(a, topic, 7002, token_a1) == bad_token);
  BOOST_TEST(texts(w.lookup(b, topic).peers) == (strings{"10.0.0.2:7000", "10.0.0.2:7001"}));
  BOOST_TEST(w.server_stats().refused.bad_token == 7u);
}

BOOST_AUTO_TEST_CASE(an_announce_of_port_zero_is_refused) {
  tracker_world w{7};
  component_id a = w.add_probe(ipv4(10, 0, 0, 2));
  BOOST_TEST(w.join(a, topic, 0) == invalid_request);
  BOOST_TEST(w.server_stats().refused.malformed == 1u);
  BOOST_TEST(w.server_stats().records_held == 0u);
}

BOOST_AUTO_TEST_CASE(each_source_is_rate_limited) {
  tracker_server_config config;
  config.requests_per_s = 10;
  config.burst = 5;
  tracker_world w{8, config};
  component_id a = w.add_probe(ipv4(10, 0, 0, 2));
  component_id b = w.add_probe(ipv4(10, 0, 0, 3));
  // Eight at once: the burst passes, the rest are dropped without an answer.
  for (uint64_t i = 0; i < 8; ++i)
    w.get_probe(a).send(w.tracker_at, tracker::encode({100 + i, tracker::lookup{topic, 0}}));
  w.rt.run_until(w.rt.now() + 50ms);
  BOOST_TEST(w.get_probe(a).inbox.size() == 5u);
  BOOST_TEST(w.server_stats().refused.rate_limited == 3u);
  BOOST_TEST(w.server_stats()[discovery_op::tracker_lookup].queries_received == 5u);
  // Another source is not affected.
  BOOST_TEST(w.lookup(b, topic).peers.empty());
  // The bucket refills at 10 per second.
  w.rt.run_until(w.rt.now() + 1s);
  for (int i = 0; i < 5; ++i)
    BOOST_TEST(w.lookup(a, topic).peers.empty());
  BOOST_TEST(w.server_stats().refused.rate_limited == 3u);
  // A steady 10 per second passes for good.
  for (int i = 0; i < 30; ++i) {
    w.get_probe(a).send(w.tracker_at, tracker::encode({200, tracker::lookup{topic, 0}}));
    w.rt.run_until(w.rt.now() + 100ms);
  }
  BOOST_TEST(w.server_stats().refused.rate_limited == 3u);
}

BOOST_AUTO_TEST_CASE(rate_buckets_are_bounded) {
  tracker_server_config config;
  config.rate_sources_max = 2;
  config.burst = 1;
  config.requests_per_s = 1;
  sim::network_config net;
  net.jitter = 0; // datagrams sent together arrive in the order sent
  tracker_world w{9, config, net};
  std::vector<component_id> probes;
  for (uint32_t i = 0; i < 4; ++i)
    probes.push_back(w.add_probe(ipv4(10, 0, 0, 2 + i)));
  auto send_from = [&](std::vector<component_id> from) {
    for (component_id p : from)
      w.get_probe(p).send(w.tracker_at, tracker::encode({1, tracker::lookup{topic, 0}}));
    w.rt.run_until(w.rt.now() + 30ms);
  };
  // Four sources in turn, twice, well within a second: each one's bucket was forgotten (two
  // others came since) and starts full again.
  send_from(probes);
  send_from(probes);
  BOOST_TEST(w.server_stats().refused.rate_limited == 0u);
  BOOST_TEST(w.server_stats()[discovery_op::tracker_lookup].responses_sent == 8u);
  // Two sources in turn stay remembered, and limited.
  send_from({probes[0], probes[1], probes[0], probes[1]});
  BOOST_TEST(w.server_stats().refused.rate_limited == 2u);
}

BOOST_AUTO_TEST_CASE(a_source_at_its_quota_replaces_its_own_oldest_record) {
  tracker_server_config config;
  config.records_per_source_max = 3;
  tracker_world w{10, config};
  component_id a = w.add_probe(ipv4(10, 0, 0, 2));
  component_id b = w.add_probe(ipv4(10, 0, 0, 3));
  auto later = [&] { w.rt.run_until(w.rt.now() + 1s); };
  for (uint8_t t = 1; t <= 3; ++t) {
    BOOST_TEST(w.join(a, topic_number(t), 7000) == 0);
    later();
  }
  // A fourth topic (a rotating feed's next ID, say) takes the place of the oldest record.
  BOOST_TEST(w.join(a, topic_number(4), 7000) == 0);
  BOOST_TEST(w.srv().peers_of(topic_number(1), w.rt.now()).empty());
  BOOST_TEST(texts(w.srv().peers_of(topic_number(4), w.rt.now())) == strings{"10.0.0.2:7000"});
  BOOST_TEST(w.server_stats().records_held == 3u);
  later();
  // A refresh takes no room and makes its record the newest: topic 3's is now the oldest.
  BOOST_TEST(w.join(a, topic_number(2), 7000) == 0);
  later();
  BOOST_TEST(w.join(a, topic_number(1), 7001) == 0);
  BOOST_TEST(w.srv().peers_of(topic_number(3), w.rt.now()).empty());
  BOOST_TEST(texts(w.srv().peers_of(topic_number(2), w.rt.now())) == strings{"10.0.0.2:7000"});
  BOOST_TEST(w.server_stats().records_held == 3u);
  // Others are not affected, and nothing was refused.
  BOOST_TEST(w.join(b, topic_number(4), 7000) == 0);
  BOOST_TEST(texts(w.lookup(b, topic_number(4), 7000).peers) == strings{"10.0.0.2:7000"});
  BOOST_TEST(w.server_stats().records_held == 4u);
  BOOST_TEST(w.server_stats().refused.storage_full == 0u);
}

// No per-topic limit: what one source can put in a topic is its quota, after which it churns
// through its own records; honest records stay and honest newcomers still get in.
BOOST_AUTO_TEST_CASE(a_flooding_source_holds_its_quota_and_no_more) {
  tracker_server_config config;
  config.records_per_source_max = 8;
  config.burst = 100;
  tracker_world w{11, config};
  component_id honest = w.add_probe(ipv4(10, 0, 0, 2));
  component_id flood = w.add_probe(ipv4(10, 0, 0, 9));
  BOOST_TEST(w.join(honest, topic, 7000) == 0);
  bytes token = w.lookup(flood, topic).token;
  for (uint16_t port = 8000; port < 8040; ++port)
    BOOST_TEST(w.announce(flood, topic, port, token) == 0);
  auto held = texts(w.srv().peers_of(topic, w.rt.now()));
  BOOST_TEST(held.size() == 9u);
  BOOST_TEST(std::count(held.begin(), held.end(), "10.0.0.2:7000") == 1);
  BOOST_TEST(std::count(held.begin(), held.end(), "10.0.0.9:8039") == 1); // its newest stay
  BOOST_TEST(std::count(held.begin(), held.end(), "10.0.0.9:8000") == 0);
  // Honest newcomers get in beside it.
  for (uint32_t i = 3; i < 8; ++i)
    BOOST_TEST(w.join(w.add_probe(ipv4(10, 0, 0, i)), topic, 7000) == 0);
  BOOST_TEST(w.srv().peers_of(topic, w.rt.now()).size() == 14u);
  BOOST_TEST(w.server_stats().records_held == 14u);
  BOOST_TEST(w.server_stats().refused.storage_full == 0u);
}

// The old limit was 200 records a topic, after which newcomers were refused and every asker was
// handed the same 200 addresses (docs/fragmentation.md, run 25). Now a topic takes them all and
// a lookup may hand out any of them.
BOOST_AUTO_TEST_CASE(a_topic_takes_far_more_records_than_the_old_cap) {
  tracker_server_config config;
  config.burst = 100;
  config.record_ttl = 24h;
  tracker_world w{15, config};
  constexpr uint32_t sources = 25;
  constexpr uint16_t ports = 40;
  for (uint32_t i = 0; i < sources; ++i) {
    component_id p = w.add_probe(ipv4(10, 1, 0, 1 + i));
    bytes token = w.lookup(p, topic).token;
    for (uint16_t port = 7000; port < 7000 + ports; ++port)
      BOOST_REQUIRE(w.announce(p, topic, port, token) == 0);
  }
  BOOST_TEST(w.srv().peers_of(topic, w.rt.now()).size() == sources * ports);
  BOOST_TEST(w.server_stats().records_held == sources * ports);
  BOOST_TEST(w.server_stats().refused.storage_full == 0u);
  component_id asker = w.add_probe(ipv4(10, 0, 0, 3));
  std::set<endpoint> seen;
  for (int i = 0; i < 100; ++i) {
    auto peers = w.lookup(asker, topic).peers;
    BOOST_REQUIRE(peers.size() == w.srv().config().lookup_peers_max);
    seen.insert(peers.begin(), peers.end());
  }
  // 5,000 draws of 1,000 records: all but about 1,000 * e^-5 (7) are seen.
  BOOST_TEST(seen.size() > 950u);
}

namespace {

/// Pearson's statistic of `counts` against the same expectation for each.
double chi_square(const std::map<endpoint, uint64_t>& counts, double expected) {
  double sum = 0;
  for (const auto& [peer, count] : counts) {
    double d = static_cast<double>(count) - expected;
    sum += d * d / expected;
  }
  return sum;
}

} // namespace

// 200 records of 10 sources, one of them the asker's, 2,000 lookups of 10 peers (drawn, since
// the topic is bigger than a reply): each other record should come back about 2,000 * 10 / 199
// times, and come first about 2,000 / 199 times. For 198 degrees of freedom, chi-square falls
// outside [130, 280] with a probability of about 10^-4 for a uniform draw; a draw favouring a
// part of the records (the old reservoir's address order, a fixed rotation) lands far outside.
BOOST_AUTO_TEST_CASE(a_lookup_draws_a_uniform_sample_in_random_order) {
  tracker_server_config config;
  config.lookup_peers_max = 10;
  config.burst = 100;
  config.record_ttl = 24h;
  tracker_world w{16, config};
  std::map<endpoint, uint64_t> counts;
  std::map<endpoint, uint64_t> firsts;
  for (uint32_t i = 0; i < 10; ++i) {
    component_id p = w.add_probe(ipv4(10, 1, 0, 1 + i));
    bytes token = w.lookup(p, topic).token;
    for (uint16_t port = 7000; port < 7020; ++port) {
      BOOST_REQUIRE(w.announce(p, topic, port, token) == 0);
      counts[endpoint{ipv4(10, 1, 0, 1 + i), port}] = 0;
      firsts[endpoint{ipv4(10, 1, 0, 1 + i), port}] = 0;
    }
  }
  // The asker is the first source's second probe, asking as its record 10.1.0.1:7000.
  component_id asker = w.add_probe(ipv4(10, 1, 0, 1), 5001);
  const endpoint own{ipv4(10, 1, 0, 1), 7000};
  counts.erase(own);
  firsts.erase(own);
  constexpr int lookups = 2000;
  for (int i = 0; i < lookups; ++i) {
    auto peers = w.lookup(asker, topic, own.port).peers;
    BOOST_REQUIRE(peers.size() == 10u);
    BOOST_REQUIRE(std::set<endpoint>(peers.begin(), peers.end()).size() == 10u);
    for (const endpoint& e : peers) {
      BOOST_REQUIRE(e != own);
      ++counts.at(e);
    }
    ++firsts.at(peers.front());
  }
  double spread = chi_square(counts, lookups * 10.0 / 199);
  double order = chi_square(firsts, lookups / 199.0);
  BOOST_TEST_MESSAGE("chi-square: shares " << spread << ", first places " << order);
  BOOST_TEST(spread > 130);
  BOOST_TEST(spread < 280);
  BOOST_TEST(order > 130);
  BOOST_TEST(order < 280);
}

// Records that expired are not swept for up to sweep_interval: a draw that meets them skips
// them and goes on, so a reply still holds lookup_peers_max live records when there are that
// many, here every one of them among 150 expired.
BOOST_AUTO_TEST_CASE(a_lookup_skips_expired_records_and_still_fills_its_reply) {
  tracker_server_config config;
  config.lookup_peers_max = 10;
  config.burst = 100;
  config.record_ttl = 500s;
  config.sweep_interval = 24h;
  tracker_world w{17, config};
  for (uint32_t i = 0; i < 5; ++i) {
    component_id p = w.add_probe(ipv4(10, 1, 0, 1 + i));
    bytes token = w.lookup(p, topic).token;
    for (uint16_t port = 7000; port < 7030; ++port)
      BOOST_REQUIRE(w.announce(p, topic, port, token) == 0);
  }
  w.rt.run_until(w.rt.now() + 400s); // the first 150 expire 100 s from now, at the latest
  component_id asker = w.add_probe(ipv4(10, 2, 0, 1));
  bytes token = w.lookup(asker, topic).token;
  std::set<endpoint> live;
  for (uint16_t port = 7000; port < 7011; ++port) {
    BOOST_REQUIRE(w.announce(asker, topic, port, token) == 0);
    if (port != 7000)
      live.insert(endpoint{ipv4(10, 2, 0, 1), port});
  }
  w.rt.run_until(w.rt.now() + 100s);
  BOOST_TEST(w.server_stats().records_held == 161u); // not swept yet
  for (int i = 0; i < 50; ++i) {
    auto peers = w.lookup(asker, topic, 7000).peers;
    BOOST_TEST(std::set<endpoint>(peers.begin(), peers.end()) == live); // all ten, once each
  }
  // Without its own port, the asker's own record is one of the eleven live ones.
  auto peers = w.lookup(asker, topic).peers;
  BOOST_TEST(peers.size() == 10u);
  BOOST_TEST(std::set<endpoint>(peers.begin(), peers.end()).size() == 10u);
}

// A flood from 64 sources (lookups of many topics, announces with forged tokens, junk), each far
// over its rate limit, for ten seconds: an honest peer is answered every time, joins, and is
// found by another honest peer every second.
BOOST_AUTO_TEST_CASE(honest_peers_are_answered_through_a_flood) {
  tracker_world w{12};
  component_id honest = w.add_probe(ipv4(10, 0, 0, 2));
  component_id reader = w.add_probe(ipv4(10, 0, 0, 3));
  std::vector<component_id> flood;
  for (uint32_t i = 0; i < 64; ++i)
    flood.push_back(w.add_probe(ipv4(10, 9, 0, 1 + i)));
  auto flood_once = [&] {
    for (component_id f : flood)
      for (uint64_t i = 0; i < 100; ++i) {
        bytes datagram;
        if (i % 3 == 0)
          datagram = tracker::encode({i, tracker::lookup{topic_number(static_cast<uint8_t>(2 + i)), 0}});
        else if (i % 3 == 1)
          datagram = tracker::encode(
            {i, tracker::announce{topic, static_cast<uint16_t>(8000 + i), bytes(16, uint8_t(i))}});
        else
          datagram = bytes(1 + i, static_cast<uint8_t>(i)); // junk
        w.get_probe(f).send(w.tracker_at, std::move(datagram));
      }
  };
  for (int second = 0; second < 10; ++second) {
    BOOST_TEST_CONTEXT("second " << second) {
      flood_once();
      // Each exchange runs the world for a second: the flood is served (or refused) meanwhile.
      BOOST_TEST(w.join(honest, topic, 7000) == 0);
      flood_once();
      strings found = texts(w.lookup(reader, topic).peers);
      BOOST_TEST((found == strings{"10.0.0.2:7000"}));
    }
  }
  const auto& refused = w.server_stats().refused;
  BOOST_TEST_MESSAGE("refused: " << refused.rate_limited << " rate limited, " << refused.malformed
                                 << " malformed, " << refused.bad_token << " bad tokens");
  BOOST_TEST(refused.rate_limited > 10'000u);
}

namespace {

/// The refusal's message, from an announce with a fresh token (the test fails on success).
std::string refusal(tracker_world& w, component_id from, const hash256& t, uint16_t port) {
  bytes token = w.lookup(from, t).token;
  auto reply = w.ask(from, {w.next_transaction++, tracker::announce{t, port, token}});
  auto* e = std::get_if<tracker::error_reply>(&reply.what);
  BOOST_REQUIRE(e);
  BOOST_TEST(e->code == storage_full);
  return e->message;
}

} // namespace

BOOST_AUTO_TEST_CASE(topics_and_records_are_bounded) {
  tracker_server_config config;
  config.topics_max = 2;
  config.records_max = 3;
  tracker_world w{12, config};
  component_id honest = w.add_probe(ipv4(10, 0, 0, 2));
  component_id flood = w.add_probe(ipv4(10, 0, 0, 9));
  BOOST_TEST(w.join(honest, topic_number(1), 7000) == 0);
  BOOST_TEST(w.join(flood, topic_number(2), 7000) == 0);
  BOOST_TEST(refusal(w, flood, topic_number(3), 7000) // a third topic
             == "the tracker holds its maximum of 2 topics");
  BOOST_TEST(w.join(flood, topic_number(2), 7001) == 0);
  BOOST_TEST(refusal(w, flood, topic_number(2), 7002) // a fourth record
             == "the tracker holds its maximum of 3 records");
  BOOST_TEST(w.join(honest, topic_number(1), 7000) == 0);           // a refresh
  BOOST_TEST(w.srv().topic_count() == 2u);
  BOOST_TEST(w.server_stats().records_held == 3u);
  BOOST_TEST(w.server_stats().refused.storage_full == 2u);
  BOOST_TEST(texts(w.srv().peers_of(topic_number(1), w.rt.now())) == strings{"10.0.0.2:7000"});
  BOOST_TEST(texts(w.srv().peers_of(topic_number(2), w.rt.now()))
             == (strings{"10.0.0.9:7000", "10.0.0.9:7001"}));
}

// Many sources announcing into one topic, each up to its quota: the topic has no limit of its
// own, so the server-wide one stops them, and every refusal changes nothing.
BOOST_AUTO_TEST_CASE(a_flood_from_many_sources_stops_at_records_max) {
  tracker_server_config config;
  config.records_max = 100;
  config.records_per_source_max = 4;
  tracker_world w{18, config};
  component_id honest = w.add_probe(ipv4(10, 0, 0, 2));
  BOOST_TEST(w.join(honest, topic_number(2), 7000) == 0);
  int stored = 0;
  int refused = 0;
  component_id first_flooder = no_component;
  for (uint32_t i = 0; i < 40; ++i) {
    component_id p = w.add_probe(ipv4(10, 9, 0, 1 + i));
    if (i == 0)
      first_flooder = p;
    bytes token = w.lookup(p, topic).token;
    for (uint16_t port = 8000; port < 8004; ++port)
      (w.announce(p, topic, port, token) == 0 ? stored : refused) += 1;
  }
  BOOST_TEST(stored == 99);
  BOOST_TEST(refused == 61);
  BOOST_TEST(w.server_stats().records_held == 100u);
  BOOST_TEST(w.server_stats().refused.storage_full == 61u);
  auto held = w.srv().peers_of(topic, w.rt.now());
  auto other = w.srv().peers_of(topic_number(2), w.rt.now());
  component_id late = w.add_probe(ipv4(10, 0, 0, 3));
  BOOST_TEST(refusal(w, late, topic, 7000) == "the tracker holds its maximum of 100 records");
  BOOST_TEST(refusal(w, late, topic_number(2), 7000) == "the tracker holds its maximum of 100 records");
  BOOST_TEST(w.srv().peers_of(topic, w.rt.now()) == held);
  BOOST_TEST(w.srv().peers_of(topic_number(2), w.rt.now()) == other);
  BOOST_TEST(w.server_stats().records_held == 100u);
  // A refresh takes no room, and neither does a source at its quota churning its own records.
  BOOST_TEST(w.join(honest, topic_number(2), 7000) == 0);
  BOOST_TEST(w.join(first_flooder, topic, 8004) == 0);
  BOOST_TEST(w.server_stats().records_held == 100u);
}

BOOST_AUTO_TEST_CASE(hostile_datagrams_are_counted_and_change_nothing) {
  tracker_world w{13};
  component_id a = w.add_probe(ipv4(10, 0, 0, 2));
  component_id b = w.add_probe(ipv4(10, 0, 0, 3));
  BOOST_TEST(w.join(a, topic, 7000) == 0);
  auto before = w.server_stats();

  rng random{99};
  std::vector<bytes> junk = {bytes{}, bytes(7, 1), bytes(datagram_size_max + 1, 0),
                             bytes{0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}};
  for (int i = 0; i < 40; ++i) {
    bytes r(random.below(100));
    for (uint8_t& x : r)
      x = static_cast<uint8_t>(random.next());
    junk.push_back(r);
  }
  bytes valid = tracker::encode({5, tracker::announce{topic, 7001, w.lookup(b, topic).token}});
  junk.push_back(bytes(valid.begin(), valid.end() - 8)); // truncated
  for (const bytes& j : junk)
    BOOST_TEST(w.exchange(b, j, 100ms).empty()); // no answer at all
  // Replies nobody asked for.
  std::vector<tracker::packet> replies = {
    {1, tracker::lookup_reply{{endpoint{1, 1}}, bytes(16, 1), 0}},
    {2, tracker::announce_reply{}},
    {3, tracker::error_reply{1, "what"}}};
  for (const tracker::packet& p : replies)
    BOOST_TEST(w.exchange(b, tracker::encode(p), 100ms).empty());

  const discovery_stats& s = w.server_stats();
  BOOST_TEST(s.refused.malformed == junk.size());
  BOOST_TEST(s.refused.unsolicited == replies.size());
  BOOST_TEST(s.records_held == before.records_held);
  BOOST_TEST(s[discovery_op::tracker_announce].queries_received
             == before[discovery_op::tracker_announce].queries_received);
  BOOST_TEST(texts(w.lookup(b, topic).peers) == strings{"10.0.0.2:7000"});
}

BOOST_AUTO_TEST_CASE(per_topic_counters_are_bounded) {
  tracker_server_config config;
  config.stats_topics_max = 3;
  tracker_world w{14, config};
  component_id a = w.add_probe(ipv4(10, 0, 0, 2));
  for (uint8_t t = 1; t <= 6; ++t)
    w.lookup(a, topic_number(t));
  BOOST_TEST(w.server_stats().by_topic.size() == 3u);
  BOOST_TEST(w.server_stats()[discovery_op::tracker_lookup].queries_received == 6u);
}

BOOST_AUTO_TEST_SUITE_END()
