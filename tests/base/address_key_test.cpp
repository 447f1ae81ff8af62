#include <boost/test/unit_test.hpp>

#include "dynfeed/base/address_key.hpp"
#include "dynfeed/base/flat_map.hpp"
#include "dynfeed/base/random.hpp"

#include <algorithm>
#include <string>
#include <vector>

using namespace dynfeed;

BOOST_AUTO_TEST_CASE(address_key_reads_back_its_text) {
  for (std::string text : {"", "10.0.0.1:4000", "255.255.255.255:65535", "0.0.0.0:0",
                           "localhost:4000", "010.0.0.1:4000", "1.2.3.4:04000", "a.example:1",
                           "1.2.3.4", "1.2.3.4:65536", "a host name longer than fifteen"}) {
    address_key key(text);
    BOOST_TEST(key.str() == text);
    BOOST_TEST(key.empty() == text.empty());
    address_key copy = key;
    BOOST_TEST((copy == key));
    BOOST_TEST(copy.str() == text);
    address_key moved = std::move(copy);
    BOOST_TEST(moved.str() == text);
    copy = moved; // assigned after a move
    BOOST_TEST(copy.str() == text);
  }
}

BOOST_AUTO_TEST_CASE(address_key_orders_and_compares_as_its_text) {
  // Endpoints whose numeric and text orders differ ("9." after "10."), and texts mixed in.
  std::vector<std::string> texts{"localhost:1", "010.0.0.1:4000", ""};
  rng random(7);
  for (int i = 0; i < 300; ++i) {
    uint64_t ip = random.below(4) == 0 ? random.below(1ull << 32) : 0x0a000000 + random.below(300);
    texts.push_back(std::to_string(ip >> 24) + '.' + std::to_string((ip >> 16) & 0xff) + '.' +
                    std::to_string((ip >> 8) & 0xff) + '.' + std::to_string(ip & 0xff) + ':' +
                    std::to_string(random.below(3) == 0 ? 4000 : random.below(65536)));
  }
  for (const std::string& a : texts)
    for (const std::string& b : texts) {
      BOOST_TEST_REQUIRE((address_key(a) < address_key(b)) == (a < b), a << " < " << b);
      BOOST_TEST_REQUIRE((address_key(a) == address_key(b)) == (a == b), a << " == " << b);
    }
  // A table keyed by it iterates in the texts' order.
  flat_map<address_key, int> table;
  for (const std::string& t : texts)
    table[t] = 1;
  std::vector<std::string> sorted = texts;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<std::string> seen;
  for (auto [key, value] : table)
    seen.push_back(key.str());
  BOOST_TEST(seen == sorted, boost::test_tools::per_element());
  BOOST_TEST(table.contains(std::string("010.0.0.1:4000")));
  BOOST_TEST(!table.contains(std::string("10.0.0.1")));
}
