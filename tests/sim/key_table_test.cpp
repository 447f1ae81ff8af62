// The runtime's table of link identities: one index per distinct key, keys read back as given,
// and references to them valid while the table grows.

#include "dynfeed/base/random.hpp"
#include "dynfeed/sim/key_table.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <vector>

using namespace dynfeed;
using namespace dynfeed::sim;

namespace {

node_key random_key(rng& random) {
  node_key key;
  for (uint8_t& b : key.bytes)
    b = static_cast<uint8_t>(random.below(256));
  return key;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_key_table_gives_one_index_per_distinct_key_and_keeps_its_keys_in_place) {
  rng random(7);
  key_table table;
  std::map<node_key, uint32_t> expected;
  std::vector<node_key> drawn;
  std::vector<const node_key*> places; // the reference intern's index gave, first time
  for (int i = 0; i < 20000; ++i) {
    // Half new keys, half seen ones; some new keys share their first 8 bytes with an old one
    // (the bytes the table hashes), so equal hashes must not make equal keys.
    node_key key;
    uint64_t pick = random.below(4);
    if (drawn.empty() || pick == 0) {
      key = random_key(random);
    } else if (pick == 1) {
      key = drawn[random.below(drawn.size())];
      key.bytes[31] ^= static_cast<uint8_t>(1 + random.below(255));
    } else {
      key = drawn[random.below(drawn.size())];
    }
    uint32_t index = table.intern(key);
    auto [it, added] = expected.try_emplace(key, static_cast<uint32_t>(expected.size()));
    BOOST_TEST_REQUIRE(index == it->second);
    if (added) {
      drawn.push_back(key);
      places.push_back(&table.at(index));
    }
  }
  BOOST_TEST(table.size() == expected.size());
  for (const auto& [key, index] : expected) {
    BOOST_TEST_REQUIRE((table.at(index) == key));
    BOOST_TEST_REQUIRE(places[index] == &table.at(index)); // never moved
  }
}
