#include "dynfeed/krpc/bencode.hpp"

#include "dynfeed/krpc/errc.hpp"

#include <boost/test/unit_test.hpp>

#include "krpc/support.hpp"

#include <string>
#include <vector>

using namespace dynfeed;
using dynfeed::krpc::krpc_errc;
using test::text;

namespace {

const std::vector<std::string>& canonical_samples() {
  static const std::vector<std::string> samples{
    "i0e", "i-1e", "i42e", "i9223372036854775807e", "i-9223372036854775808e", "0:", "3:abc",
    "le", "de", "li1ei2ee", "l0:0:e", "d1:ai1e1:bi2ee", "d1:a0:e", "d0:i1e1:ale1:bdee",
    "d3:abci1e3:abdi2ee", "d1:ai1e2:aai2ee", "ld1:xleee", "l4:spami-7ed3:cow3:mooee",
    "d1:ad2:id20:abcdefghij0123456789e1:q4:pinge"};
  return samples;
}

void require_refused(std::string_view input, krpc_errc code,
                     const bencode::limits& lim = {}) {
  auto decoded = bencode::decode(text(input), lim);
  BOOST_TEST_CONTEXT("'" << input << "'") {
    BOOST_REQUIRE(!decoded);
    BOOST_TEST(decoded.error().is(code));
    BOOST_TEST(decoded.error().context().rfind("at byte ", 0) == 0u);
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(canonical_input_decodes_and_encodes_back_to_the_same_bytes) {
  for (const std::string& sample : canonical_samples()) {
    auto decoded = bencode::decode(text(sample));
    BOOST_TEST_CONTEXT(sample) {
      BOOST_REQUIRE(decoded.has_value());
      BOOST_TEST(bencode::encode(*decoded) == text(sample));
    }
  }
}

BOOST_AUTO_TEST_CASE(decoded_values_have_the_right_shape) {
  auto v = bencode::decode(text("d3:cowl3:mooi-7ee4:spam4:eggse"));
  BOOST_REQUIRE(v.has_value());
  const bencode::dictionary* d = v->as_dictionary();
  BOOST_REQUIRE(d);
  BOOST_REQUIRE(d->size() == 2u);
  const bencode::value* cow = bencode::find(*d, "cow");
  BOOST_REQUIRE(cow);
  BOOST_REQUIRE(cow->as_list());
  BOOST_TEST(*cow->as_list()->at(0).as_string() == text("moo"));
  BOOST_TEST(*cow->as_list()->at(1).as_integer() == -7);
  BOOST_TEST(*bencode::find(*d, "spam")->as_string() == text("eggs"));
  BOOST_TEST(!bencode::find(*d, "spa"));
  BOOST_TEST(!bencode::find(*d, "spams"));
  // Keys compare as unsigned bytes: 0x7f before 0x80.
  bytes high{'d', '1', ':', 0x7f, 'i', '1', 'e', '1', ':', 0x80, 'i', '2', 'e', 'e'};
  BOOST_TEST(bencode::decode(high).has_value());
  bytes swapped{'d', '1', ':', 0x80, 'i', '1', 'e', '1', ':', 0x7f, 'i', '2', 'e', 'e'};
  BOOST_TEST(!bencode::decode(swapped));
}

BOOST_AUTO_TEST_CASE(a_sub_value_encodes_to_its_exact_wire_bytes) {
  // What BEP 44 signs: `v` exactly as it was on the wire. Decoding is strict, so encoding the
  // decoded sub-value gives those bytes back, wherever it sat.
  std::string wire = "d1:ad2:id3:abc1:vd1:xli-2e0:d1:ai1eee1:y4:spamee1:q3:put1:v4:LT01e";
  auto top = bencode::decode(text(wire));
  BOOST_REQUIRE(top.has_value());
  const bencode::value* v = bencode::find(*bencode::find(*top->as_dictionary(), "a")
                                             ->as_dictionary(), "v");
  BOOST_REQUIRE(v);
  BOOST_TEST(bencode::encode(*v) == text("d1:xli-2e0:d1:ai1eee1:y4:spame"));
  for (const bencode::entry& e : *top->as_dictionary()) {
    bytes sub = bencode::encode(e.val);
    BOOST_TEST(wire.find(std::string(sub.begin(), sub.end())) != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(insert_keeps_keys_sorted_and_unique) {
  bencode::dictionary d;
  bencode::insert(d, "y", bencode::integer{1});
  bencode::insert(d, "a", std::string_view{"x"});
  bencode::insert(d, "ab", bencode::list{});
  bencode::insert(d, "a", bencode::integer{2}); // replaces
  BOOST_TEST(bencode::encode(d) == text("d1:ai2e2:able1:yi1ee"));
  BOOST_TEST(*bencode::find(d, "a")->as_integer() == 2);
}

BOOST_AUTO_TEST_CASE(non_canonical_and_malformed_input_is_refused_with_its_offset) {
  for (std::string invalid :
       {"", "i", "ie", "i-e", "i01e", "i-0e", "i-01e", "i00e", "i1", "i1x", "i--1e", "i+1e",
        "i 1e", "01:a", "00:", "5:abc", "3:abcX", "3abc", ":abc", "-1:a", "l", "li1e", "d",
        "d1:ai1e", "d1:ai1e1:ai2ee", "d1:bi1e1:ai2ee", "d2:aai1e1:ai2ee", "di1ei2ee", "dlei1ee",
        "d1:ae", "x", "e", "i1ei2e", "le ", " le", "lee", "99999999999999999999999:a",
        "18446744073709551616:a", "i9223372036854775808e", "i-9223372036854775809e",
        "i99999999999999999999e", "i-1234567890123456789012345e"}) {
    require_refused(invalid, krpc_errc::invalid_bencode);
  }
  auto err = bencode::decode(text("d1:bi1e1:ai2ee")).error();
  BOOST_TEST(err.context() == "at byte 7: dictionary keys out of order or repeated");
  BOOST_TEST(err.to_string().find("krpc") == 0u);
}

BOOST_AUTO_TEST_CASE(integer_edges) {
  struct {
    const char* wire;
    int64_t value;
  } cases[] = {{"i0e", 0},
               {"i1e", 1},
               {"i-1e", -1},
               {"i10e", 10},
               {"i9223372036854775807e", INT64_MAX},
               {"i-9223372036854775808e", INT64_MIN},
               {"i9223372036854775806e", INT64_MAX - 1},
               {"i-9223372036854775807e", INT64_MIN + 1}};
  for (const auto& c : cases) {
    auto v = bencode::decode(text(c.wire));
    BOOST_REQUIRE(v.has_value());
    BOOST_TEST(*v->as_integer() == c.value);
    BOOST_TEST(bencode::encode(bencode::value{c.value}) == text(c.wire));
  }
}

BOOST_AUTO_TEST_CASE(every_limit_holds_at_its_maximum_and_refuses_one_more) {
  bencode::limits lim;
  lim.depth_max = 5;
  lim.string_size_max = 4;
  lim.container_items_max = 3;
  lim.items_max = 6;
  auto ok = [&](std::string_view s) { return bencode::decode(text(s), lim).has_value(); };
  BOOST_TEST(ok("llllleeeee"));
  require_refused("lllllleeeeee", krpc_errc::limit_exceeded, lim);
  BOOST_TEST(ok("4:abcd"));
  require_refused("5:abcde", krpc_errc::limit_exceeded, lim);
  require_refused("d5:abcdei1ee", krpc_errc::limit_exceeded, lim); // keys too
  BOOST_TEST(ok("li1ei2ei3ee"));
  require_refused("li1ei2ei3ei4ee", krpc_errc::limit_exceeded, lim);
  BOOST_TEST(ok("d1:ai1e1:bi2e1:ci3ee"));
  require_refused("d1:ai1e1:bi2e1:ci3e1:di4ee", krpc_errc::limit_exceeded, lim);
  BOOST_TEST(ok("lli1ei2eeli3eee"));                                     // 6 values
  require_refused("lli1ei2eeli3ei4eee", krpc_errc::limit_exceeded, lim); // 7 values
  // The default depth, and input far deeper than any limit, refused without deep recursion.
  bencode::limits defaults;
  std::string deep = std::string(defaults.depth_max, 'l') + std::string(defaults.depth_max, 'e');
  BOOST_TEST(bencode::decode(text(deep)).has_value());
  require_refused("l" + deep + "e", krpc_errc::limit_exceeded);
  require_refused(std::string(1000000, 'l'), krpc_errc::limit_exceeded);
}

BOOST_AUTO_TEST_CASE(every_truncation_is_refused) {
  for (const std::string& sample : canonical_samples()) {
    for (size_t size = 0; size < sample.size(); ++size) {
      BOOST_TEST_CONTEXT(sample << " cut at " << size) {
        BOOST_TEST(!bencode::decode(text(sample.substr(0, size))));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(random_input_is_refused_or_canonical) {
  // Bytes drawn mostly from bencode's own alphabet, so that some inputs are valid.
  const std::string alphabet = "ilde0123456789:-ab";
  std::mt19937_64 rng{20261206};
  size_t accepted = 0;
  for (int round = 0; round < 200000; ++round) {
    bytes input(1 + test::below(rng, 24));
    for (uint8_t& b : input)
      b = test::below(rng, 8) == 0
            ? static_cast<uint8_t>(rng())
            : static_cast<uint8_t>(alphabet[test::below(rng, alphabet.size())]);
    auto decoded = bencode::decode(input);
    if (!decoded)
      continue;
    ++accepted;
    BOOST_TEST(bencode::encode(*decoded) == input);
  }
  BOOST_TEST(accepted > 100u); // the property was checked on real values, not vacuously
}
