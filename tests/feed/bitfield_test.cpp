#include "dynfeed/feed/bitfield.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/base/random.hpp"

#include <set>

using namespace dynfeed;

BOOST_AUTO_TEST_SUITE(bitfield_suite)

BOOST_AUTO_TEST_CASE(matches_a_set_model) {
  rng random{7};
  bitfield bits;
  std::set<uint64_t> model;
  for (int step = 0; step < 3000; ++step) {
    uint64_t begin = random.below(5000);
    uint64_t end = begin + random.below(300);
    bool value = random.chance(0.6);
    bits.set_range(begin, end, value);
    for (uint64_t i = begin; i < end; ++i) {
      if (value)
        model.insert(i);
      else
        model.erase(i);
    }
    uint64_t probe = random.below(5400);
    BOOST_REQUIRE(bits.get(probe) == (model.count(probe) > 0));
  }
  BOOST_TEST(bits.count() == model.size());
  BOOST_TEST(bits.count(100, 2000)
             == static_cast<uint64_t>(std::distance(model.lower_bound(100), model.lower_bound(2000))));
  auto first_set = bits.find(0, 6000, true);
  BOOST_REQUIRE(first_set);
  BOOST_TEST(*first_set == *model.begin());
  for (uint64_t start : {0ull, 17ull, 1000ull, 4999ull}) {
    auto unset = bits.find(start, 10000, false);
    uint64_t expected = start;
    while (model.count(expected))
      ++expected;
    BOOST_REQUIRE(unset);
    BOOST_TEST(*unset == expected);
  }
}

BOOST_AUTO_TEST_CASE(pages_after_predicts_the_persisted_pages) {
  bitfield bits;
  bits.set_range(0, 1500, true);
  auto pages = bits.pages_after(1500, 2100, true);
  BOOST_TEST(bits.count() == 1500u); // unchanged until set_range
  bitfield reloaded;
  bits.set_range(1500, 2100, true);
  for (uint64_t page = 0; page < 3; ++page)
    reloaded.load_page(page, bits.encode_page(page));
  for (const auto& [page, data] : pages)
    BOOST_TEST(data == bits.encode_page(page));
  BOOST_TEST(pages.size() == 2u);
  BOOST_TEST(reloaded.count() == 2100u);
  BOOST_TEST(!reloaded.load_page(0, bytes(3)));
}

BOOST_AUTO_TEST_SUITE_END()
