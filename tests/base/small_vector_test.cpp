#include "dynfeed/base/small_vector.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/base/flat_map.hpp"
#include "dynfeed/base/random.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

using namespace dynfeed;

namespace {

struct wide {
  uint64_t id = 7; ///< a default that emplace_back must honour
  uint32_t extra[5] = {};
  bool operator==(const wide& o) const { return id == o.id && extra[0] == o.extra[0]; }
};

template <class T, uint32_t N>
std::vector<T> contents(const small_vector<T, N>& v) {
  return std::vector<T>(v.begin(), v.end());
}

} // namespace

BOOST_AUTO_TEST_CASE(small_vector_keeps_its_first_values_in_place) {
  small_vector<uint64_t, 2> v;
  BOOST_TEST(v.empty());
  BOOST_TEST(v.in_place());
  v.push_back(1);
  v.push_back(2);
  BOOST_TEST(v.in_place());
  v.push_back(3); // past N: on the heap, by half plus one
  BOOST_TEST(!v.in_place());
  BOOST_TEST(v.capacity() == 4u);
  BOOST_TEST((contents(v) == std::vector<uint64_t>{1, 2, 3}));
  v.erase(v.begin()); // back to N values: back in place
  BOOST_TEST(v.in_place());
  BOOST_TEST((contents(v) == std::vector<uint64_t>{2, 3}));
  v.clear();
  BOOST_TEST(v.empty());
  BOOST_TEST(v.in_place());
}

BOOST_AUTO_TEST_CASE(small_vector_emplace_back_value_initialises) {
  small_vector<wide, 1> v;
  BOOST_TEST(v.emplace_back().id == 7u);
  BOOST_TEST(v.emplace_back().id == 7u); // on the heap
  BOOST_TEST(v.emplace_back(wide{9, {1}}).id == 9u);
  BOOST_TEST(v[2].extra[0] == 1u);
  BOOST_TEST(v.back().id == 9u);
}

BOOST_AUTO_TEST_CASE(small_vector_copies_and_moves_in_place_and_on_the_heap) {
  for (size_t count : {0, 1, 5}) {
    small_vector<uint64_t, 1> v;
    for (size_t i = 0; i < count; ++i)
      v.push_back(i * 10);
    small_vector<uint64_t, 1> copy = v;
    BOOST_TEST((contents(copy) == contents(v)));
    small_vector<uint64_t, 1> moved = std::move(copy);
    BOOST_TEST((contents(moved) == contents(v)));
    BOOST_TEST(copy.empty());
    copy = moved; // assigned after a move
    BOOST_TEST((contents(copy) == contents(v)));
    moved = small_vector<uint64_t, 1>{};
    BOOST_TEST(moved.empty());
    copy = std::move(copy); // self: unchanged
    BOOST_TEST((contents(copy) == contents(v)));
  }
}

BOOST_AUTO_TEST_CASE(small_vector_matches_std_vector_under_random_operations) {
  rng random(42);
  small_vector<uint32_t, 2> v;
  std::vector<uint32_t> model;
  for (int step = 0; step < 20000; ++step) {
    uint64_t op = random.next() % 8;
    if (op < 4) {
      auto value = static_cast<uint32_t>(random.next() % 16);
      BOOST_TEST(add_unique(v, value) == add_unique(model, value));
    } else if (op < 7) {
      auto value = static_cast<uint32_t>(random.next() % 16);
      BOOST_TEST(remove_value(v, value) == remove_value(model, value));
    } else if (!model.empty()) {
      size_t i = random.next() % model.size();
      auto it = v.erase(v.begin() + i);
      model.erase(model.begin() + static_cast<std::ptrdiff_t>(i));
      BOOST_TEST(static_cast<size_t>(it - v.begin()) == i);
    }
    BOOST_TEST_REQUIRE((contents(v) == model));
    BOOST_TEST_REQUIRE(v.in_place() == (model.size() <= 2));
  }
}
