#include "dynfeed/base/fifo.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/base/random.hpp"

#include <algorithm>
#include <deque>
#include <string>

using namespace dynfeed;

BOOST_AUTO_TEST_CASE(fifo_gives_values_back_in_the_order_they_came) {
  fifo<std::string> q;
  BOOST_TEST(q.empty());
  BOOST_TEST(q.capacity() == 0u);
  q.emplace_back("a");
  q.emplace_back(2, 'b');
  BOOST_TEST(q.size() == 2u);
  BOOST_TEST(q.front() == "a");
  q.pop_front();
  BOOST_TEST(q.front() == "bb");
  q.pop_front();
  BOOST_TEST(q.empty());
  BOOST_TEST(q.capacity() == 0u); // emptied: its room is given back
}

BOOST_AUTO_TEST_CASE(fifo_matches_a_deque_under_random_use_and_stays_small) {
  // Bursts in and out at random, against std::deque; the room it keeps never exceeds twice
  // the most values queued at once (plus the vector's own growth).
  rng r{7};
  fifo<uint64_t> q;
  std::deque<uint64_t> reference;
  size_t most = 0;
  uint64_t next = 0;
  for (int step = 0; step < 200000; ++step) {
    if (r.below(100) < 52) {
      q.emplace_back(next);
      reference.push_back(next++);
    } else if (!reference.empty()) {
      BOOST_REQUIRE_EQUAL(q.front(), reference.front());
      q.pop_front();
      reference.pop_front();
    }
    BOOST_REQUIRE_EQUAL(q.size(), reference.size());
    BOOST_REQUIRE_EQUAL(q.empty(), reference.empty());
    most = std::max(most, reference.size());
    BOOST_REQUIRE_LE(q.capacity(), 4 * most + 1);
    if (reference.empty())
      BOOST_REQUIRE_EQUAL(q.capacity(), 0u);
  }
  while (!reference.empty()) {
    BOOST_REQUIRE_EQUAL(q.front(), reference.front());
    q.pop_front();
    reference.pop_front();
  }
  BOOST_TEST(q.empty());
  BOOST_TEST(q.capacity() == 0u);
}
