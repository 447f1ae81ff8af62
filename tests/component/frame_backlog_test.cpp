// The bounded backlog of a connection being set up: in order, exact bounds in frames and bytes,
// and nothing at all once past them.

#include "dynfeed/component/frame_backlog.hpp"

#include <boost/test/unit_test.hpp>

using namespace dynfeed;

BOOST_AUTO_TEST_CASE(a_backlog_gives_back_its_frames_in_order_and_empties) {
  frame_backlog b;
  for (uint8_t n = 0; n < 10; ++n)
    BOOST_TEST(b.push(bytes{n, n}));
  BOOST_TEST(b.frames() == 10u);
  BOOST_TEST(b.size() == 20u);
  std::vector<bytes> out = b.take();
  BOOST_REQUIRE_EQUAL(out.size(), 10u);
  for (uint8_t n = 0; n < 10; ++n)
    BOOST_TEST((out[n] == bytes{n, n}));
  BOOST_TEST(b.frames() == 0u);
  BOOST_TEST(b.size() == 0u);
  BOOST_TEST(b.push(bytes{42})); // usable again
  BOOST_TEST(!b.overflowed());
}

BOOST_AUTO_TEST_CASE(one_frame_past_the_count_empties_it_for_good) {
  frame_backlog b;
  for (size_t n = 0; n < frame_backlog::frames_max; ++n)
    BOOST_REQUIRE(b.push(bytes{}));
  BOOST_TEST(!b.overflowed());
  BOOST_TEST(!b.push(bytes{}));
  BOOST_TEST(b.overflowed());
  BOOST_TEST(b.frames() == 0u);
  BOOST_TEST(!b.push(bytes{1})); // refuses everything after
  BOOST_TEST(b.take().empty());
}

BOOST_AUTO_TEST_CASE(the_bound_in_bytes_is_exact) {
  frame_backlog b;
  BOOST_TEST(b.push(bytes(frame_backlog::size_max - 1, 0)));
  BOOST_TEST(b.push(bytes(1, 0)));
  BOOST_TEST(b.size() == frame_backlog::size_max);
  BOOST_TEST(!b.push(bytes(1, 0)));
  BOOST_TEST(b.size() == 0u);

  frame_backlog one;
  BOOST_TEST(!one.push(bytes(frame_backlog::size_max + 1, 0))); // a single frame too large
  BOOST_TEST(one.overflowed());
}
