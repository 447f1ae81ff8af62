#include <boost/test/unit_test.hpp>

#include "dynfeed/base/endpoint.hpp"
#include "dynfeed/base/random.hpp"
#include "dynfeed/base/int_map.hpp"

#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

using namespace dynfeed;

namespace {

/// Every entry of `reference` is in `map` with the same value, and nothing else is.
template <class T>
void check_same(const u32_map<T>& map, const std::map<uint32_t, T>& reference) {
  BOOST_REQUIRE_EQUAL(map.size(), reference.size());
  for (const auto& [key, value] : reference) {
    const T* held = map.find(key);
    BOOST_REQUIRE(held);
    BOOST_REQUIRE(*held == value);
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(u32_map_finds_what_was_put_and_forgets_what_was_erased) {
  u32_map<std::string> map;
  BOOST_TEST(map.empty());
  BOOST_TEST(!map.find(0));
  BOOST_TEST(!map.erase(7));
  auto [a, added] = map.try_emplace(0, "zero"); // 0 is a key like any other
  BOOST_TEST(added);
  BOOST_TEST(*a == "zero");
  auto [again, added_again] = map.try_emplace(0, "other");
  BOOST_TEST(!added_again);
  BOOST_TEST(*again == "zero");
  map[0xffffffffu] = "max";
  BOOST_TEST(map.size() == 2u);
  BOOST_TEST(*map.find(0xffffffffu) == "max");
  BOOST_TEST(map.contains(0));
  BOOST_TEST(map.erase(0));
  BOOST_TEST(!map.contains(0));
  BOOST_TEST(map.size() == 1u);
  BOOST_TEST(map.erase(0xffffffffu));
  BOOST_TEST(map.empty());
  BOOST_TEST(map.capacity() == 0u); // an empty map holds no table
}

// Random operations against std::map, on keys drawn from a small range (so that probes collide,
// erasures shift runs back and wrap past the table's end) and from the whole range.
BOOST_AUTO_TEST_CASE(u32_map_agrees_with_std_map_under_random_operations) {
  for (uint64_t range : {uint64_t{64}, uint64_t{4096}, uint64_t{1} << 32}) {
    rng random(range);
    u32_map<uint64_t> map;
    std::map<uint32_t, uint64_t> reference;
    for (int step = 0; step < 20000; ++step) {
      auto key = static_cast<uint32_t>(random.below(range));
      uint64_t choice = random.below(100);
      if (choice < 50) {
        uint64_t value = random.next();
        auto [held, added] = map.try_emplace(key, value);
        auto [it, ref_added] = reference.try_emplace(key, value);
        BOOST_REQUIRE_EQUAL(added, ref_added);
        BOOST_REQUIRE_EQUAL(*held, it->second);
      } else if (choice < 90) {
        BOOST_REQUIRE_EQUAL(map.erase(key), reference.erase(key) == 1);
      } else if (choice < 99) {
        BOOST_REQUIRE_EQUAL(map.contains(key), reference.count(key) == 1);
      } else {
        uint64_t cut = random.next();
        map.erase_if([cut](uint32_t, uint64_t value) { return value < cut; });
        for (auto it = reference.begin(); it != reference.end();)
          it = it->second < cut ? reference.erase(it) : std::next(it);
      }
      if (step % 997 == 0)
        check_same(map, reference);
    }
    check_same(map, reference);
  }
}

BOOST_AUTO_TEST_CASE(u32_map_gives_room_back_as_it_empties) {
  u32_map<std::vector<int>> map;
  for (uint32_t key = 0; key < 10000; ++key)
    map[key * 2654435761u].push_back(static_cast<int>(key));
  size_t full = map.capacity();
  BOOST_TEST(full >= 10000u * 4 / 3);
  BOOST_TEST(full <= 10000u * 4);
  map.erase_if([](uint32_t, const std::vector<int>& v) { return v.front() >= 100; });
  BOOST_TEST(map.size() == 100u);
  BOOST_TEST(map.capacity() <= 256u);
  for (uint32_t key = 0; key < 100; ++key)
    BOOST_TEST(map.find(key * 2654435761u)->front() == static_cast<int>(key));
  for (uint32_t key = 0; key < 100; ++key)
    BOOST_TEST(map.erase(key * 2654435761u));
  BOOST_TEST(map.capacity() == 0u);
}

// The simulator's runtime keys its bound sockets by packed endpoint: 48-bit keys that crowd into
// a few addresses and ports, bound and unbound over and over.
BOOST_AUTO_TEST_CASE(int_map_over_packed_endpoints_binds_and_unbinds_as_a_map_does) {
  int_map<uint64_t, std::pair<uint64_t, uint32_t>> empty;
  BOOST_TEST(!empty.find(endpoint{0x0a000001, 6881}.packed()));
  BOOST_TEST(!empty.erase(endpoint{0x0a000001, 6881}.packed()));
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    rng random(seed);
    int_map<uint64_t, std::pair<uint64_t, uint32_t>> map;
    std::unordered_map<uint64_t, std::pair<uint64_t, uint32_t>> reference;
    // Few addresses and ports, so that the same endpoint comes back after it was unbound and
    // the table stays crowded while it grows and shrinks.
    auto pick = [&] {
      return endpoint{0x0a000000u + static_cast<uint32_t>(random.below(300)),
                      static_cast<uint16_t>(6881 + random.below(3))}
        .packed();
    };
    for (int step = 0; step < 20000; ++step) {
      uint64_t key = pick();
      bool bound = reference.count(key) > 0;
      if (!bound && random.below(3) != 0) {
        std::pair<uint64_t, uint32_t> value{1 + random.below(1u << 30),
                                            static_cast<uint32_t>(random.below(1000))};
        BOOST_REQUIRE(map.try_emplace(key, value).second);
        reference[key] = value;
      } else if (bound && random.below(2) == 0) {
        BOOST_REQUIRE(map.erase(key));
        reference.erase(key);
      }
      uint64_t probe = pick();
      const auto* found = map.find(probe);
      auto it = reference.find(probe);
      BOOST_REQUIRE_EQUAL(found != nullptr, it != reference.end());
      if (found)
        BOOST_REQUIRE(*found == it->second);
      BOOST_REQUIRE_EQUAL(map.size(), reference.size());
    }
    for (const auto& [key, value] : reference) {
      const auto* found = map.find(key);
      BOOST_REQUIRE(found != nullptr);
      BOOST_TEST((*found == value));
    }
  }
}

BOOST_AUTO_TEST_CASE(u32_map_full_says_when_the_next_key_would_grow_it) {
  u32_map<int> map;
  BOOST_TEST(map.full()); // no table yet
  for (uint32_t key = 0; key < 1000; ++key) {
    bool full = map.full();
    size_t before = map.capacity();
    map[key * 7919u] = 1;
    BOOST_TEST_REQUIRE((map.capacity() != before) == full);
  }
}
