#include "dynfeed/core/value_dir.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/feed/errc.hpp"
#include "dynfeed/storage/value_store.hpp"
#include "support/file_mode.hpp"
#include "support/print.hpp"
#include "support/temp_dir.hpp"
#include "support/values.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

using namespace dynfeed;
namespace fs = std::filesystem;
using test::mode_of;
using test::text;

BOOST_AUTO_TEST_SUITE(value_directory)

BOOST_AUTO_TEST_CASE(put_signs_the_next_seq_and_it_survives_reopening) {
  test::temp_dir tmp;
  std::string dir = tmp / "values";
  keypair kp = crypto::generate_keypair();
  {
    auto d = value_dir::create(dir, kp);
    REQUIRE_OK(d);
    BOOST_TEST((*d)->writable());
    BOOST_TEST((*d)->keys().pk == kp.pk);
    auto first = (*d)->put(text("one"), {});
    REQUIRE_OK(first);
    BOOST_TEST(first->seq == 1u);
    BOOST_TEST((*d)->put(text("two"), {})->seq == 2u);
    // Another salt is another feed, with its own seqs.
    BOOST_TEST((*d)->put(text("other"), text("s"))->seq == 1u);
  }
  BOOST_TEST(mode_of(dir) == 0700u);
  BOOST_TEST(mode_of(value_dir::secret_key_path(dir)) == 0600u);

  auto d = value_dir::open(dir);
  REQUIRE_OK(d);
  BOOST_TEST((*d)->writable());
  BOOST_TEST((*d)->keys().pk == kp.pk);
  BOOST_TEST((*d)->store().list_values()->size() == 2u);
  value_feed_def def = (*d)->feed({});
  auto held = load_value_state((*d)->store(), def);
  REQUIRE_OK(held);
  BOOST_REQUIRE(held->current);
  BOOST_TEST(held->current->seq == 2u);
  BOOST_TEST(held->current->value == text("two"));
  BOOST_TEST(verify_value(def, *held->current).has_value());
  BOOST_TEST((*d)->put(text("three"), {})->seq == 3u);
}

BOOST_AUTO_TEST_CASE(refusals_change_nothing) {
  test::temp_dir tmp;
  std::string dir = tmp / "values";
  auto d = value_dir::create(dir, crypto::generate_keypair());
  REQUIRE_OK(d);
  REQUIRE_OK((*d)->put(text("kept"), {}));
  BOOST_TEST((*d)->put(bytes(1001, 'x'), {}).error().is(value_errc::value_too_large));
  BOOST_TEST((*d)->put(text("v"), bytes(65, 's')).error().is(value_errc::salt_too_large));
  value_limits tight;
  tight.value_size_max = 2;
  BOOST_TEST((*d)->put(text("abc"), {}, tight).error().is(value_errc::value_too_large));
  auto held = load_value_state((*d)->store(), (*d)->feed({}));
  BOOST_TEST(held->current->value == text("kept"));
  BOOST_TEST((*d)->store().list_values()->size() == 1u);
  BOOST_TEST((*d)->put(text("next"), {})->seq == 2u);
}

BOOST_AUTO_TEST_CASE(the_secret_key_rules_are_the_feeds) {
  test::temp_dir tmp;
  std::string dir = tmp / "values";
  REQUIRE_OK(value_dir::create(dir, crypto::generate_keypair()));
  // A directory without the key reads, but does not write.
  std::string reader = tmp / "reader";
  fs::create_directory(reader);
  fs::copy(value_dir::db_path(dir), value_dir::db_path(reader));
  auto r = value_dir::open(reader);
  REQUIRE_OK(r);
  BOOST_TEST(!(*r)->writable());
  BOOST_TEST((*r)->put(text("v"), {}).error().is(feed_errc::not_writable));

  ::chmod(value_dir::secret_key_path(dir).c_str(), 0644);
  auto exposed = value_dir::open(dir);
  BOOST_REQUIRE(!exposed);
  BOOST_TEST(exposed.error().context().find("readable by other users") != std::string::npos);
  ::chmod(value_dir::secret_key_path(dir).c_str(), 0600);

  // A key file whose halves do not belong together: one bit of the public half flipped (a
  // fixed byte written there would, one key in 256, be the byte already there).
  {
    std::fstream f(value_dir::secret_key_path(dir),
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(40);
    char byte = 0;
    f.get(byte);
    f.seekp(40);
    f.put(static_cast<char>(byte ^ 0x01));
  }
  BOOST_TEST(value_dir::open(dir).error().is(store_errc::corrupt));

  BOOST_TEST(value_dir::create(dir, crypto::generate_keypair()).error().is(
    store_errc::already_exists));
  BOOST_TEST(value_dir::open(tmp / "missing").error().is(store_errc::not_found));
  auto not_values = value_dir::open(tmp.path());
  BOOST_TEST(not_values.error().context().find("not a value directory") != std::string::npos);
  // A keypair whose halves do not match is refused before anything is made.
  keypair mismatched = crypto::generate_keypair();
  mismatched.pk = crypto::generate_keypair().pk;
  BOOST_TEST(value_dir::create(tmp / "bad", mismatched).error().is(crypto_errc::bad_secret_key));
  BOOST_TEST(!fs::exists(tmp / "bad"));
}

BOOST_AUTO_TEST_SUITE_END()
