#include "dynfeed/feed/id_item.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/feed/dynamic.hpp"
#include "dynfeed/feed/value_errc.hpp"

#include <string>

using namespace dynfeed;

namespace {

keypair writer() {
  return crypto::keypair_from_seed(key_seed::from(crypto::blake2b_256(byte_span{"id item"}).span()));
}

/// The writer's signed announcement of a tree with `roots` roots (rotating-roots mode).
signed_value roots_announcement(const keypair& kp, size_t roots) {
  signed_tree tree;
  tree.length = 1000;
  tree.roots.resize(roots);
  bytes value = encode_announcement(feed_mode::rotating_roots, tree);
  return make_signed_value(id_announcements(kp.pk), 1000, std::move(value), kp.sk);
}

bytes as_bytes(const std::string& s) {
  return bytes(s.begin(), s.end());
}

} // namespace

BOOST_AUTO_TEST_SUITE(id_item_tests)

BOOST_AUTO_TEST_CASE(an_announcement_round_trips_through_a_valid_bep44_item) {
  keypair kp = writer();
  signed_tree tree;
  tree.length = 7;
  signed_value value = make_signed_value(id_announcements(kp.pk), 7,
                                         encode_announcement(feed_mode::rotating, tree), kp.sk);
  auto item = id_item::make(kp.sk, value);
  BOOST_REQUIRE(item.has_value());
  BOOST_TEST((item->k == kp.pk));
  BOOST_TEST(item->seq == 7);
  BOOST_TEST((item->salt == as_bytes("dynfeed/feed-id/1")));
  BOOST_TEST((item->salt == id_announcements(kp.pk).salt));
  BOOST_TEST(bep44::verify(*item).has_value()); // what the DHT checks
  auto back = id_item::decode_v(item->v);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((*back == value));
  // What the reader checks next: the inner value under the announcement feed's rules.
  BOOST_TEST(verify_value(id_announcements(kp.pk), *back, announcement_limits()).has_value());
}

BOOST_AUTO_TEST_CASE(a_roots_announcement_fits_up_to_twenty_roots_and_is_refused_beyond) {
  keypair kp = writer();
  auto fits = id_item::make(kp.sk, roots_announcement(kp, id_item::roots_max_in_item));
  BOOST_REQUIRE(fits.has_value());
  BOOST_TEST(fits->v.size() <= id_item::v_size_max);
  auto too_large = id_item::make(kp.sk, roots_announcement(kp, id_item::roots_max_in_item + 1));
  BOOST_REQUIRE(!too_large.has_value());
  BOOST_TEST(too_large.error().is(value_errc::value_too_large));
  BOOST_TEST(too_large.error().to_string().find("does not fit a BEP 44 item") != std::string::npos,
             too_large.error().to_string());
  // The largest value that fits gives exactly BEP 44's 1000 bytes of v.
  signed_value largest = make_signed_value(id_announcements(kp.pk), 1,
                                           bytes(id_item::value_size_max, 'x'), kp.sk);
  BOOST_TEST(id_item::encode_v(largest).size() == id_item::v_size_max);
  largest.value.push_back('x');
  BOOST_TEST(!id_item::make(kp.sk, largest).has_value());
}

BOOST_AUTO_TEST_CASE(malformed_item_values_are_refused) {
  keypair kp = writer();
  signed_value value = make_signed_value(id_announcements(kp.pk), 3, as_bytes("hello"), kp.sk);
  bytes good = id_item::encode_v(value);
  std::vector<bytes> bad = {
    {},
    as_bytes("i3e"),                          // not a string
    as_bytes("3:abc"),                        // too short for an encoded value
    as_bytes("04:abcd"),                      // a length with a leading zero
    bytes(good.begin(), good.end() - 1),      // shorter than its length says
    [&] { bytes b = good; b.push_back(0); return b; }(), // longer
    bytes(1001, '1'),                         // over BEP 44's 1000 bytes
  };
  // A signature count that does not match the bytes left.
  bytes miscounted = good;
  miscounted[miscounted.size() - 69] = 2;
  bad.push_back(miscounted);
  // A value size beyond the item.
  bytes oversized = good;
  size_t colon = std::string(good.begin(), good.end()).find(':');
  oversized[colon + 1 + 8] = 0xff;
  bad.push_back(oversized);
  for (const bytes& b : bad) {
    auto decoded = id_item::decode_v(b);
    BOOST_TEST(!decoded.has_value(), std::string(b.begin(), b.end()));
    if (!decoded)
      BOOST_TEST(decoded.error().is(value_errc::malformed));
  }
  BOOST_TEST(id_item::decode_v(good).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
