// The runtime's socket table finds, binds and unbinds as a std::unordered_map would, through
// long runs of binds and unbinds that collide in the table and wrap around its end.

#include "dynfeed/base/random.hpp"
#include "dynfeed/sim/socket_table.hpp"

#include <boost/test/unit_test.hpp>

#include <unordered_map>
#include <utility>

using namespace dynfeed;
using namespace dynfeed::sim;

BOOST_AUTO_TEST_SUITE(socket_table_lookup)

BOOST_AUTO_TEST_CASE(an_empty_table_finds_nothing) {
  socket_table table;
  BOOST_TEST(table.find(endpoint{0x0a000001, 6881}) == nullptr);
  table.erase(endpoint{0x0a000001, 6881}); // unbinding what is not bound changes nothing
  BOOST_TEST(table.size() == 0u);
}

BOOST_AUTO_TEST_CASE(binds_and_unbinds_as_a_map_does) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    rng random(seed);
    socket_table table;
    std::unordered_map<uint64_t, std::pair<component_id, uint32_t>> reference;
    // Few addresses and ports, so that the same endpoint comes back after it was unbound and
    // the table stays crowded while it grows and shrinks.
    auto pick = [&] {
      return endpoint{0x0a000000u + static_cast<uint32_t>(random.below(300)),
                      static_cast<uint16_t>(6881 + random.below(3))};
    };
    for (int step = 0; step < 20000; ++step) {
      endpoint e = pick();
      bool bound = reference.count(e.packed()) > 0;
      if (!bound && random.below(3) != 0) {
        component_id id = 1 + random.below(1u << 30);
        uint32_t host = static_cast<uint32_t>(random.below(1000));
        table.insert(e, id, host);
        reference[e.packed()] = {id, host};
      } else if (bound && random.below(2) == 0) {
        table.erase(e);
        reference.erase(e.packed());
      }
      endpoint probe = pick();
      const socket_table::entry* found = table.find(probe);
      auto it = reference.find(probe.packed());
      BOOST_REQUIRE_EQUAL(found != nullptr, it != reference.end());
      if (found) {
        BOOST_REQUIRE_EQUAL(found->component, it->second.first);
        BOOST_REQUIRE_EQUAL(found->host, it->second.second);
      }
      BOOST_REQUIRE_EQUAL(table.size(), reference.size());
    }
    for (const auto& [key, value] : reference) {
      endpoint e{static_cast<uint32_t>(key >> 16), static_cast<uint16_t>(key & 0xffff)};
      const socket_table::entry* found = table.find(e);
      BOOST_REQUIRE(found != nullptr);
      BOOST_TEST(found->component == value.first);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
