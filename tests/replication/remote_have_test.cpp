// remote_have against a plain set of blocks: random claims and retractions, prefix and
// scattered, including the ones past its bound that it does not keep.

#include "dynfeed/replication/remote_have.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/base/random.hpp"

#include <set>

using namespace dynfeed;

namespace {

/// What remote_have must answer: the blocks claimed, but scattered ones only below the bound.
struct have_model {
  std::set<uint64_t> held;
  uint64_t prefix = 0;
  void add(uint64_t start, uint64_t length) {
    uint64_t end = start + length;
    if (start <= prefix) {
      for (uint64_t i = prefix; i < end; ++i)
        held.insert(i);
      prefix = std::max(prefix, end);
      while (held.count(prefix))
        ++prefix;
      return;
    }
    if (end <= remote_have::scattered_blocks_max)
      for (uint64_t i = start; i < end; ++i)
        held.insert(i);
  }
  void drop(uint64_t start, uint64_t length) {
    for (uint64_t i = start; i < start + length; ++i)
      held.erase(i);
    if (start < prefix)
      prefix = start;
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(remote_have_answers_as_the_set_of_blocks_it_was_told_of) {
  rng random(7);
  for (int round = 0; round < 50; ++round) {
    remote_have have;
    have_model model;
    for (int step = 0; step < 60; ++step) {
      uint64_t start = random.next() % 96;
      uint64_t length = 1 + random.next() % 8;
      if (random.next() % 3 == 0) {
        have.drop(start, length);
        model.drop(start, length);
      } else {
        have.add(start, length);
        model.add(start, length);
      }
      BOOST_TEST_REQUIRE(have.prefix() == model.prefix);
      for (uint64_t i = 0; i < 110; ++i)
        BOOST_TEST_REQUIRE(have.has(i) == (model.held.count(i) == 1));
      uint64_t first = random.next() % 100;
      uint64_t count = random.next() % 6; // 0 included: nothing asked, all held
      bool all = true;
      for (uint64_t i = first; i < first + count; ++i)
        all = all && model.held.count(i) == 1;
      BOOST_TEST_REQUIRE(have.has_all(first, count) == all);
      remote_have copy = have;
      BOOST_TEST_REQUIRE(copy.has_all(first, count) == all);
      BOOST_TEST_REQUIRE(copy.prefix() == have.prefix());
    }
  }
}

BOOST_AUTO_TEST_CASE(remote_have_keeps_nothing_of_a_huge_scattered_claim) {
  remote_have have;
  have.add(remote_have::scattered_blocks_max - 4, 100);
  BOOST_TEST(!have.has(remote_have::scattered_blocks_max - 4));
  BOOST_TEST(!have.has_all(10, 1));
  BOOST_TEST(have.has_all(10, 0));
  have.add(0, 100);
  have.drop(5, 1); // the rest of the prefix stays held, as scattered blocks
  BOOST_TEST(have.prefix() == 5u);
  BOOST_TEST(have.has(6));
  BOOST_TEST(have.has_all(6, 94));
  BOOST_TEST(!have.has(100));
  have.add(0, uint64_t{1} << 62); // a prefix claim costs nothing either
  BOOST_TEST(have.has(uint64_t{1} << 61));
  have.drop(5, 1); // cut past the bound: what followed is forgotten, not kept block by block
  BOOST_TEST(have.prefix() == 5u);
  BOOST_TEST(!have.has(uint64_t{1} << 61));
}
