#include <boost/test/unit_test.hpp>

#include "dynfeed/core/value_dir.hpp"
#include "dynfeed/feed/bep44.hpp"
#include "dynfeed/storage/value_store.hpp"
#include "support/dynfeed_cli.hpp"
#include "support/print.hpp"
#include "support/temp_dir.hpp"
#include "support/values.hpp"

#include <filesystem>

using namespace dynfeed;
using test::dynfeed_cmd;
using test::expect_refused;
using test::process_result;
using test::text;

namespace {

const std::string seed_hex(64, '7');

keypair seed_keys() {
  return crypto::keypair_from_seed(fixed_from_hex<key_seed>(seed_hex).value());
}

std::string hex_of(std::string_view s) {
  return to_hex(byte_span{s});
}

/// The stored value of `dir`'s feed with `salt`, read in this process.
signed_value stored_value(const std::string& dir, const std::string& salt) {
  auto d = value_dir::open(dir);
  BOOST_REQUIRE(d);
  auto held = load_value_state((*d)->store(), (*d)->feed(text(salt)));
  BOOST_REQUIRE(held && held->current);
  return *held->current;
}

process_result verify_cmd(const std::string& format, const public_key& key, const std::string& seq,
                          const std::string& value_hex, const signature& sig,
                          const std::string& salt = {}) {
  std::vector<std::string> args{"value", "verify", "--format", format, "--key", to_hex(key),
                                "--seq=" + seq, "--value", value_hex, "--sig", to_hex(sig)};
  if (!salt.empty()) {
    args.push_back("--salt");
    args.push_back(salt);
  }
  return dynfeed_cmd(args);
}

void expect_usage_error(const process_result& r) {
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("see --help") != std::string::npos, r.err);
}

} // namespace

BOOST_AUTO_TEST_SUITE(value_commands)

BOOST_AUTO_TEST_CASE(create_put_and_verify_what_was_put) {
  test::temp_dir tmp;
  std::string dir = tmp / "values";
  process_result created = dynfeed_cmd({"value", "create", dir, "--keypair-seed", seed_hex});
  BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  BOOST_TEST(created.out == to_hex(seed_keys().pk) + "\n");

  BOOST_TEST(dynfeed_cmd({"value", "put", dir, "hello"}).out == "1\n");
  BOOST_TEST(dynfeed_cmd({"value", "put", dir, "world"}).out == "2\n");
  BOOST_TEST(dynfeed_cmd({"value", "put", dir, "salted", "--salt", "s"}).out == "1\n");
  BOOST_TEST(dynfeed_cmd({"value", "put", dir, ""}).out == "3\n");
  BOOST_TEST(dynfeed_cmd({"value", "put", dir, "again", "--salt", "s"}).out == "2\n");

  signed_value plain = stored_value(dir, "");
  BOOST_TEST(plain.seq == 3u);
  BOOST_TEST(plain.value.empty());
  signed_value salted = stored_value(dir, "s");
  BOOST_TEST(salted.value == text("again"));
  process_result valid = verify_cmd("dynfeed", seed_keys().pk, "2", hex_of("again"),
                                    salted.sigs[0].sig, "s");
  BOOST_TEST(valid.exit_code == 0);
  BOOST_TEST(valid.out == "valid\n");
  expect_refused(verify_cmd("dynfeed", seed_keys().pk, "2", hex_of("again"), salted.sigs[0].sig),
                 "bad signature");
  expect_refused(verify_cmd("dynfeed", seed_keys().pk, "3", hex_of("again"), salted.sigs[0].sig,
                            "s"),
                 "bad signature");
}

BOOST_AUTO_TEST_CASE(put_refusals_change_nothing) {
  test::temp_dir tmp;
  std::string dir = tmp / "values";
  BOOST_REQUIRE(dynfeed_cmd({"value", "create", dir}).exit_code == 0);
  BOOST_REQUIRE(dynfeed_cmd({"value", "put", dir, "kept"}).out == "1\n");

  expect_refused(dynfeed_cmd({"value", "put", dir, std::string(1001, 'v')}), "value too large");
  expect_refused(dynfeed_cmd({"value", "put", dir, "v", "--salt", std::string(65, 's')}),
                 "salt too large");
  expect_refused(dynfeed_cmd({"value", "put", tmp / "missing", "v"}), "not a directory");
  expect_refused(dynfeed_cmd({"value", "put", tmp.path(), "v"}), "not a value directory");
  expect_usage_error(dynfeed_cmd({"value", "put", dir}));
  expect_usage_error(dynfeed_cmd({"value"}));
  expect_usage_error(dynfeed_cmd({"value", "frobnicate"}));
  expect_refused(dynfeed_cmd({"value", "create", dir}), "not empty");
  expect_refused(dynfeed_cmd({"value", "create", tmp / "bad", "--keypair-seed", "abc"}),
                 "keypair-seed");
  BOOST_TEST(!std::filesystem::exists(tmp / "bad"));

  // Without the secret key nothing can be signed.
  std::string reader = tmp / "reader";
  std::filesystem::create_directory(reader);
  std::filesystem::copy(dir + "/db", reader + "/db");
  expect_refused(dynfeed_cmd({"value", "put", reader, "v"}), "not writable");

  // While another process holds the store, put asks the node serving it; with none, it says so.
  {
    auto held = value_dir::open(dir);
    BOOST_REQUIRE(held);
    expect_refused(dynfeed_cmd({"value", "put", dir, "v"}), "in use and no node serves");
  }
  BOOST_TEST(stored_value(dir, "").value == text("kept"));
  BOOST_TEST(dynfeed_cmd({"value", "put", dir, "next"}).out == "2\n");
}

BOOST_AUTO_TEST_CASE(verify_bep44_items) {
  keypair kp = seed_keys();
  std::string v = "12:Hello World!";
  auto plain = bep44::sign(kp, {}, 1, text(v));
  auto salted = bep44::sign(kp, text("foobar"), 42, text(v));
  BOOST_REQUIRE(plain && salted);
  process_result ok = verify_cmd("bep44", kp.pk, "1", hex_of(v), plain->sig);
  BOOST_TEST(ok.exit_code == 0);
  BOOST_TEST(ok.out == "valid\n");
  BOOST_TEST(verify_cmd("bep44", kp.pk, "42", hex_of(v), salted->sig, "foobar").out == "valid\n");

  expect_refused(verify_cmd("bep44", kp.pk, "2", hex_of(v), plain->sig), "(BEP 44 error 206)");
  expect_refused(verify_cmd("bep44", kp.pk, "42", hex_of(v), salted->sig), "(BEP 44 error 206)");
  expect_refused(verify_cmd("bep44", kp.pk, "-1", hex_of(v), plain->sig), "(BEP 44 error 203)");
  expect_refused(verify_cmd("bep44", kp.pk, "9223372036854775808", hex_of(v), plain->sig),
                 "(BEP 44 error 203)");
  expect_refused(verify_cmd("bep44", kp.pk, "1", hex_of("Hello World!"), plain->sig),
                 "invalid bencode");
  std::string big = "997:" + std::string(997, 'x'); // 1001 bytes
  expect_refused(verify_cmd("bep44", kp.pk, "1", hex_of(big), plain->sig), "(BEP 44 error 205)");
  expect_refused(verify_cmd("bep44", kp.pk, "1", hex_of(v), plain->sig, std::string(65, 's')),
                 "(BEP 44 error 207)");
  expect_refused(verify_cmd("bep44", kp.pk, "one", hex_of(v), plain->sig), "decimal");
}

BOOST_AUTO_TEST_CASE(verify_refuses_bad_arguments) {
  keypair kp = seed_keys();
  value_feed_def def = single_key_feed(kp.pk);
  signed_value sv = make_signed_value(def, 1, text("x"), kp.sk);
  BOOST_TEST(verify_cmd("dynfeed", kp.pk, "1", hex_of("x"), sv.sigs[0].sig).out == "valid\n");

  std::string key = to_hex(kp.pk);
  std::string sig = to_hex(sv.sigs[0].sig);
  auto run = [&](std::string k, std::string value, std::string s) {
    return dynfeed_cmd({"value", "verify", "--format", "dynfeed", "--key", k, "--seq", "1",
                        "--value", value, "--sig", s});
  };
  expect_refused(run("zz" + key.substr(2), "78", sig), "invalid --key");
  expect_refused(run(key.substr(2), "78", sig), "invalid --key");
  expect_refused(run(key, "7", sig), "invalid --value");
  expect_refused(run(key, "7g", sig), "invalid --value");
  expect_refused(run(key, "78", sig.substr(1)), "invalid --sig");
  expect_refused(run(key, "78", sig + "00"), "invalid --sig");
  expect_refused(run(key, to_hex(bytes(1001, 'x')), sig), "value too large");
  expect_refused(verify_cmd("dynfeed", kp.pk, "x", "78", sv.sigs[0].sig), "--seq");
  expect_refused(verify_cmd("dynfeed", kp.pk, "-1", "78", sv.sigs[0].sig), "--seq");
  expect_usage_error(verify_cmd("ed25519", kp.pk, "1", "78", sv.sigs[0].sig));
  expect_usage_error(dynfeed_cmd({"value", "verify", "--key", key, "--seq", "1", "--value", "78",
                                  "--sig", sig}));
  expect_usage_error(dynfeed_cmd({"value", "verify", "--format", "bep44", "--key", key, "--seq",
                                  "1", "--value", "78"}));
}

BOOST_AUTO_TEST_SUITE_END()
