#include "dynfeed/discovery/dht_settings.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace dynfeed;

namespace {

endpoint at(const std::string& text) {
  auto e = endpoint::parse(text);
  BOOST_REQUIRE(e);
  return *e;
}

} // namespace

BOOST_AUTO_TEST_CASE(dht_settings_lift_the_one_node_per_address_rule_and_bep42_on_loopback_only) {
  const size_t one = dht_config{}.nodes_per_ip_max;
  const size_t bucket = dht_config{}.k;
  BOOST_REQUIRE(one == 1u);
  BOOST_REQUIRE(!dht_config{}.enforce_bep42); // off unless dht_settings turns it on
  struct row {
    const char* local;
    std::vector<const char*> bootstrap;
    size_t nodes_per_ip_max;
  };
  const std::vector<row> table{
    {"127.0.0.1:0", {}, bucket},                           // the first node of a local DHT
    {"127.0.0.1:0", {"127.0.0.1:4000"}, bucket},           // joining it
    {"127.0.0.5:7", {"127.1.2.3:4000"}, bucket},           // anywhere in 127.0.0.0/8
    {"0.0.0.0:0", {"127.0.0.1:4000", "127.0.0.2:1"}, bucket}, // unspecified, loopback peers
    {"0.0.0.0:0", {}, one},                                // nothing says the network is local
    {"0.0.0.0:0", {"10.0.0.1:4000"}, one},
    {"127.0.0.1:0", {"127.0.0.1:4000", "192.168.1.2:4000"}, one}, // one outside peer is enough
    {"10.0.0.2:0", {"127.0.0.1:4000"}, one},
    {"10.0.0.2:0", {}, one},
  };
  for (const row& r : table) {
    std::vector<endpoint> bootstrap;
    for (const char* b : r.bootstrap)
      bootstrap.push_back(at(b));
    dht_config c = dht_settings(at(r.local), bootstrap);
    BOOST_TEST(c.nodes_per_ip_max == r.nodes_per_ip_max, r.local << " with " << bootstrap.size());
    // BEP 42 holds wherever the one-node-per-address rule does (off on loopback).
    BOOST_TEST(c.enforce_bep42 == (r.nodes_per_ip_max == one), r.local << " with " << bootstrap.size());
    BOOST_TEST((c.bootstrap == bootstrap));
    BOOST_TEST(c.k == dht_config{}.k);
  }
}
