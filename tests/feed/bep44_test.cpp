#include "dynfeed/feed/bep44.hpp"

#include <boost/test/unit_test.hpp>

#include "support/print.hpp"
#include "support/values.hpp"

#include <fstream>
#include <string>
#include <vector>

using namespace dynfeed;
using test::text;

namespace {

std::string as_text(const bytes& b) {
  return std::string(b.begin(), b.end());
}

keypair test_keys() {
  return test::key_number(0x44);
}

bep44::mutable_item signed_item(bytes salt, int64_t seq, std::string_view v) {
  auto item = bep44::sign(test_keys(), std::move(salt), seq, text(v));
  REQUIRE_OK(item);
  return *item;
}

/// The first `count` backtick-quoted parts of `text` (the spec's example quotes its values).
std::vector<std::string_view> quoted(std::string_view text, size_t count) {
  std::vector<std::string_view> out;
  for (size_t open = text.find('`'); open != std::string_view::npos && out.size() < count;) {
    size_t close = text.find('`', open + 1);
    if (close == std::string_view::npos)
      break;
    out.push_back(text.substr(open + 1, close - open - 1));
    open = text.find('`', close + 1);
  }
  return out;
}

void expect_refused(const status& st, value_errc code, int bep44) {
  BOOST_REQUIRE(!st);
  BOOST_TEST_CONTEXT(st.error().to_string()) {
    BOOST_TEST(st.error().is(code));
    BOOST_TEST(bep44_code(st.error()) == bep44);
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(bep44_items)

BOOST_AUTO_TEST_CASE(the_buffer_matches_the_spec_example) {
  // The example sentence of ../shared/spec/bep44.md, read from the file itself: "For example,
  // for seq <n>, no salt, and the value string `<value>` (bencoded `<bencoded>`), the buffer is
  // the ASCII text `<buffer>`."
  std::ifstream in(std::string{DYNFEED_SHARED_DIR} + "/spec/bep44.md");
  BOOST_REQUIRE(in);
  std::string spec;
  for (std::string word; in >> word;)
    spec += word + " ";
  const std::string lead = "For example, for seq ";
  size_t at = spec.find(lead);
  BOOST_REQUIRE(at != std::string::npos);
  std::string_view example = std::string_view{spec}.substr(at + lead.size());
  uint64_t seq = std::stoull(std::string{example});
  std::vector<std::string_view> parts = quoted(example, 3);
  BOOST_REQUIRE(parts.size() == 3u);
  BOOST_REQUIRE(example.find("no salt") < example.find(parts[0]));
  BOOST_REQUIRE(example.find("the buffer is the ASCII text") < example.find(parts[2]));
  std::string value{parts[0]};
  std::string bencoded{parts[1]};
  BOOST_TEST(bencoded == std::to_string(value.size()) + ":" + value);
  BOOST_TEST(bep44::check_bencode(text(bencoded)).has_value());
  BOOST_TEST(as_text(bep44::signable({}, seq, text(bencoded))) == std::string{parts[2]});
}

BOOST_AUTO_TEST_CASE(the_buffer_format) {
  // "4:salt" <len> ":" <salt> only for a non-empty salt, then "3:seqi" <seq> "e1:v" <v>.
  BOOST_TEST(as_text(bep44::signable(text("foobar"), 1, text("12:Hello World!")))
             == "4:salt6:foobar3:seqi1e1:v12:Hello World!");
  BOOST_TEST(as_text(bep44::signable({}, 0, text("le"))) == "3:seqi0e1:vle");
  BOOST_TEST(as_text(bep44::signable(bytes(12, 'x'), 9223372036854775807ull, text("i-5e")))
             == "4:salt12:xxxxxxxxxxxx3:seqi9223372036854775807e1:vi-5e");
  bytes binary_salt{0, 'e', 0xff};
  bytes b = bep44::signable(binary_salt, 7, text("0:"));
  BOOST_TEST(b == (bytes{'4', ':', 's', 'a', 'l', 't', '3', ':', 0, 'e', 0xff, '3', ':', 's', 'e',
                         'q', 'i', '7', 'e', '1', ':', 'v', '0', ':'}));
}

BOOST_AUTO_TEST_CASE(bencode_is_checked_strictly) {
  for (std::string valid :
       {"i0e", "i-1e", "i42e", "i-9223372036854775808e", "i9223372036854775807e", "0:", "3:abc",
        "le", "de", "li1ei2ee", "l0:0:e", "d1:ai1e1:bi2ee", "d1:a0:e", "d0:i1e1:ale1:bdee",
        "d3:abci1e3:abdi2ee", "d1:ai1e2:aai2ee", "ld1:xleee"}) {
    BOOST_TEST(bep44::check_bencode(text(valid)).has_value(), valid);
  }
  // Keys compare as unsigned bytes.
  BOOST_TEST(bep44::check_bencode(bytes{'d', '1', ':', 0x7f, 'i', '1', 'e', '1', ':', 0x80, 'i',
                                        '2', 'e', 'e'})
               .has_value());
  for (std::string invalid :
       {"", "i", "ie", "i-e", "i01e", "i-0e", "i-01e", "i1", "i1x", "i--1e", "i+1e", "01:a",
        "5:abc", "3:abcX", "3abc", ":abc", "-1:a", "l", "li1e", "d", "d1:ai1e", "d1:ai1e1:ai2ee",
        "d1:bi1e1:ai2ee", "d2:aai1e1:ai2ee", "di1ei2ee", "dlei1ee", "d1:ae", "x", "e", "i1ei2e",
        "le ", "99999999999999999999999:a", "18446744073709551616:a",
        // Integers beyond int64 (BEP 44 nodes hold integers as int64).
        "i-1234567890123456789012345e", "i9223372036854775808e", "i-9223372036854775809e"}) {
    auto st = bep44::check_bencode(text(invalid));
    BOOST_TEST_CONTEXT("'" << invalid << "'") {
      BOOST_REQUIRE(!st);
      BOOST_TEST(st.error().is(value_errc::invalid_bencode));
      BOOST_TEST(bep44_code(st.error()) == 203);
    }
  }
  // Nesting: exactly the limit passes, one more level does not.
  std::string deep =
    std::string(bep44::bencode_depth_max, 'l') + std::string(bep44::bencode_depth_max, 'e');
  BOOST_TEST(bep44::check_bencode(text(deep)).has_value());
  std::string deeper = "l" + deep + "e";
  BOOST_TEST(!bep44::check_bencode(text(deeper)));
  BOOST_TEST(!bep44::check_bencode(text("ld" + deep + "e"))); // not even a valid shape
  BOOST_TEST(bep44::check_bencode(text("d1:a" + deep + "e"), bep44::bencode_depth_max + 1)
               .has_value());
  std::string runaway(100000, 'l');
  BOOST_TEST(!bep44::check_bencode(text(runaway)));
}

BOOST_AUTO_TEST_CASE(sign_and_verify_round_trip) {
  for (const char* salt : {"", "foobar", "s"}) {
    for (int64_t seq : {int64_t{0}, int64_t{1}, int64_t{1} << 40, bep44::seq_max}) {
      for (const char* v : {"12:Hello World!", "i-3e", "d1:ai1e1:bl0:ee"}) {
        bep44::mutable_item item = signed_item(text(salt), seq, v);
        BOOST_TEST(item.k == test_keys().pk);
        BOOST_TEST(bep44::verify(item).has_value(), salt << " " << seq << " " << v);
        BOOST_TEST(crypto::verify(item.sig, bep44::signable(item.salt, static_cast<uint64_t>(seq),
                                                            item.v),
                                  item.k));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(any_change_breaks_the_signature) {
  bep44::mutable_item good = signed_item(text("foobar"), 5, "12:Hello World!");
  std::vector<bep44::mutable_item> bad(6, good);
  bad[0].sig.bytes[63] ^= 0x40;
  bad[1].v = text("12:Hello World?");
  bad[2].salt = text("foobaz");
  bad[3].salt.clear();
  bad[4].seq = 6;
  bad[5].k = crypto::keypair_from_seed(key_seed{}).pk;
  for (const auto& item : bad)
    expect_refused(bep44::verify(item), value_errc::bad_signature, 206);
  bep44::mutable_item zero = good;
  zero.sig = signature{};
  expect_refused(bep44::verify(zero), value_errc::bad_signature, 206);
}

BOOST_AUTO_TEST_CASE(limits_and_ranges) {
  // Salt: 64 bytes is the limit.
  BOOST_TEST(bep44::verify(signed_item(bytes(64, 's'), 1, "0:")).has_value());
  bep44::mutable_item salted = signed_item({}, 1, "0:");
  salted.salt = bytes(65, 's');
  expect_refused(bep44::verify(salted), value_errc::salt_too_large, 207);
  expect_refused(bep44::sign(test_keys(), bytes(65, 's'), 1, text("0:")).error(),
                 value_errc::salt_too_large, 207);
  // v: 1000 bytes bencoded is the limit.
  std::string v1000 = "996:" + std::string(996, 'v');
  BOOST_TEST(bep44::verify(signed_item({}, 1, v1000)).has_value());
  std::string v1001 = "997:" + std::string(997, 'v');
  expect_refused(bep44::sign(test_keys(), {}, 1, text(v1001)).error(),
                 value_errc::value_too_large, 205);
  bep44::mutable_item big = signed_item({}, 1, v1000);
  big.v = text(v1001);
  expect_refused(bep44::verify(big), value_errc::value_too_large, 205);
  // seq: negative is refused, to verify and to sign.
  bep44::mutable_item negative = signed_item({}, 1, "0:");
  for (int64_t seq : {int64_t{-1}, std::numeric_limits<int64_t>::min()}) {
    negative.seq = seq;
    expect_refused(bep44::verify(negative), value_errc::seq_out_of_range, 203);
    expect_refused(bep44::sign(test_keys(), {}, seq, text("0:")).error(),
                   value_errc::seq_out_of_range, 203);
  }
  // v must be bencode, to verify and to sign.
  bep44::mutable_item raw = signed_item({}, 1, "0:");
  raw.v = text("Hello World!");
  expect_refused(bep44::verify(raw), value_errc::invalid_bencode, 203);
  expect_refused(bep44::sign(test_keys(), {}, 1, text("i01e")).error(),
                 value_errc::invalid_bencode, 203);
  // Cheapest first: an oversized, badly signed value with a big salt reports the size.
  big.salt = bytes(65, 's');
  big.seq = -1;
  expect_refused(bep44::verify(big), value_errc::value_too_large, 205);
}

BOOST_AUTO_TEST_CASE(parse_seq_reads_decimal_in_range) {
  BOOST_TEST(*bep44::parse_seq("0") == 0);
  BOOST_TEST(*bep44::parse_seq("1") == 1);
  BOOST_TEST(*bep44::parse_seq("9223372036854775807") == bep44::seq_max);
  for (const char* out : {"9223372036854775808", "18446744073709551616", "-1",
                          "-9223372036854775808", "99999999999999999999999999"})
    BOOST_TEST(bep44::parse_seq(out).error().is(value_errc::seq_out_of_range), out);
  for (const char* junk : {"", "-", "abc", "1x", "+1", " 1", "1 ", "0x10", "1.0"})
    BOOST_TEST(bep44::parse_seq(junk).error().is(base_errc::invalid_argument), junk);
}

BOOST_AUTO_TEST_CASE(error_codes_map_onto_bep44s) {
  struct row {
    value_errc code;
    int bep44;
  };
  for (row r : {row{value_errc::value_too_large, 205}, row{value_errc::salt_too_large, 207},
                row{value_errc::stale_seq, 302}, row{value_errc::replayed, 302},
                row{value_errc::bad_signature, 206}, row{value_errc::not_enough_signatures, 206},
                row{value_errc::unknown_signer, 206}, row{value_errc::duplicate_signer, 206},
                row{value_errc::cas_mismatch, 301}, row{value_errc::rejected, 201},
                row{value_errc::equivocation, 302}, row{value_errc::malformed, 203},
                row{value_errc::seq_out_of_range, 203}, row{value_errc::invalid_bencode, 203}})
    BOOST_TEST(bep44_code(error{r.code}) == r.bep44, error{r.code}.to_string());
  BOOST_TEST(bep44_code(error{}) == 0);
  BOOST_TEST(bep44_code(error{base_errc::invalid_argument}) == 201);
  BOOST_TEST(bep44_code(error{crypto_errc::bad_signature}) == 201);
}

BOOST_AUTO_TEST_CASE(an_item_is_a_value_of_its_feed) {
  bep44::mutable_item item = signed_item(text("foobar"), 3, "i1e");
  value_feed_def def = bep44::feed_def(item);
  BOOST_TEST(def.signers.size() == 1u);
  BOOST_TEST(def.signers[0] == item.k);
  BOOST_TEST(def.salt == item.salt);
  signed_value v = bep44::to_signed_value(item);
  BOOST_TEST(v.seq == 3u);
  BOOST_TEST(v.value == item.v);
  BOOST_REQUIRE(v.sigs.size() == 1u);
  BOOST_TEST(v.sigs[0].sig == item.sig);
  BOOST_TEST(verify_value(def, v).has_value());
  // Items of one key with other salts are other feeds.
  BOOST_TEST(def.id() != bep44::feed_def(signed_item(text("foobaz"), 3, "i1e")).id());
  BOOST_TEST(def.id() == bep44::feed_def(signed_item(text("foobar"), 4, "i2e")).id());
}

BOOST_AUTO_TEST_SUITE_END()
