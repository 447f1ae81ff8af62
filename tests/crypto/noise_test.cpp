#include "dynfeed/crypto/noise.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/base/hex.hpp"
#include "support/noise_support.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>

using namespace dynfeed;
using namespace dynfeed::test;

namespace {

/// The three handshake messages of a successful run, with both sides afterwards.
struct handshake_run {
  noise_handshake initiator;
  noise_handshake responder;
  bytes msg1, msg2, msg3;
  bytes payload1, payload2, payload3; ///< what each reader got
};

handshake_run run_handshake(byte_span prologue = byte_span{std::string_view{"dynfeed"}}) {
  handshake_run r{noise_handshake::initiator(test_keys(1), prologue),
                  noise_handshake::responder(test_keys(2), prologue), {}, {}, {}, {}, {}, {}};
  r.msg1 = r.initiator.write_message(byte_span{std::string_view{"one"}}).value();
  r.payload1 = r.responder.read_message(r.msg1).value();
  r.msg2 = r.responder.write_message(byte_span{std::string_view{"two"}}).value();
  r.payload2 = r.initiator.read_message(r.msg2).value();
  r.msg3 = r.initiator.write_message(byte_span{std::string_view{"three"}}).value();
  r.payload3 = r.responder.read_message(r.msg3).value();
  return r;
}

/// Runs a handshake in which `tamper` may change each message before it is read; returns the
/// first error, or no error if the handshake completed.
template <class Tamper>
error handshake_error(Tamper tamper, byte_span init_prologue, byte_span resp_prologue) {
  auto init = noise_handshake::initiator(test_keys(1), init_prologue);
  auto resp = noise_handshake::responder(test_keys(2), resp_prologue);
  noise_handshake* writer = &init;
  noise_handshake* reader = &resp;
  for (int step = 0; step < 3; ++step) {
    auto msg = writer->write_message(byte_span{std::string_view{"payload"}});
    if (!msg)
      return msg.error();
    tamper(step, *msg);
    auto payload = reader->read_message(*msg);
    if (!payload)
      return payload.error();
    std::swap(writer, reader);
  }
  BOOST_TEST(init.complete());
  BOOST_TEST(resp.complete());
  return {};
}

} // namespace

BOOST_AUTO_TEST_SUITE(noise_xx)

BOOST_AUTO_TEST_CASE(handshake_completes_in_both_roles) {
  handshake_run r = run_handshake();
  BOOST_TEST(to_text(r.payload1) == "one");
  BOOST_TEST(to_text(r.payload2) == "two");
  BOOST_TEST(to_text(r.payload3) == "three");
  BOOST_TEST(r.msg1.size() == 32 + 3);
  BOOST_TEST(r.msg2.size() == 32 + 48 + 3 + 16);
  BOOST_TEST(r.msg3.size() == 48 + 5 + 16);
  BOOST_TEST(r.initiator.complete());
  BOOST_TEST(r.responder.complete());
  BOOST_TEST(to_hex(r.initiator.handshake_hash()) == to_hex(r.responder.handshake_hash()));
  BOOST_TEST(to_hex(r.initiator.remote_static()) == to_hex(test_keys(2).pk));
  BOOST_TEST(to_hex(r.responder.remote_static()) == to_hex(test_keys(1).pk));

  auto ti = r.initiator.split();
  auto tr = r.responder.split();
  BOOST_REQUIRE(ti);
  BOOST_REQUIRE(tr);
  BOOST_TEST(to_hex(ti->handshake_hash()) == to_hex(tr->handshake_hash()));
  for (int round = 0; round < 3; ++round) {
    bytes a = ti->encrypt(byte_span{std::string_view{"to responder"}}).value();
    BOOST_TEST(to_text(tr->decrypt(a).value()) == "to responder");
    bytes b = tr->encrypt(byte_span{std::string_view{"to initiator"}}).value();
    BOOST_TEST(to_text(ti->decrypt(b).value()) == "to initiator");
  }
  BOOST_TEST(ti->send_nonce() == 3u);
  BOOST_TEST(tr->receive_nonce() == 3u);
}

BOOST_AUTO_TEST_CASE(each_handshake_is_fresh) {
  handshake_run a = run_handshake();
  handshake_run b = run_handshake();
  BOOST_TEST(to_hex(a.msg1) != to_hex(b.msg1));
  BOOST_TEST(to_hex(a.initiator.handshake_hash()) != to_hex(b.initiator.handshake_hash()));
}

BOOST_AUTO_TEST_CASE(keypairs) {
  noise_keypair a = noise_keypair::from_seed(key_seed{});
  noise_keypair b = noise_keypair::from_seed(key_seed{});
  BOOST_TEST(to_hex(a.pk) == to_hex(b.pk));
  BOOST_TEST(to_hex(noise_keypair::from_secret_key(a.sk).pk) == to_hex(a.pk));
  BOOST_TEST(to_hex(test_keys(1).pk) != to_hex(test_keys(2).pk));
  noise_keypair r1 = noise_keypair::generate();
  noise_keypair r2 = noise_keypair::generate();
  BOOST_TEST(to_hex(r1.pk) != to_hex(r2.pk));
  BOOST_TEST(to_hex(noise_keypair::from_secret_key(r1.sk).pk) == to_hex(r1.pk));
}

BOOST_AUTO_TEST_CASE(hmac_blake2b_matches_an_independent_implementation) {
  // Computed with Python's hmac module over hashlib.blake2b (digest size 64).
  auto mac = crypto::hmac_blake2b(byte_span{std::string_view{"key"}},
                                  byte_span{std::string_view{"The quick brown fox jumps over "
                                                             "the lazy dog"}});
  BOOST_TEST(to_hex(mac.span())
             == "92294f92c0dfb9b00ec9ae8bd94d7e7d8a036b885a499f149dfe2fd2199394aa"
                "af6b8894a1730cccb2cd050f9bcf5062a38b51b0dab33207f8ef35ae2c9df51b");
}

BOOST_AUTO_TEST_CASE(wrong_prologue_fails) {
  auto none = [](int, bytes&) {};
  error err = handshake_error(none, byte_span{std::string_view{"a"}},
                              byte_span{std::string_view{"b"}});
  BOOST_TEST(err.is(noise_errc::decrypt_failed));
  BOOST_TEST(!handshake_error(none, byte_span{std::string_view{"same"}},
                              byte_span{std::string_view{"same"}}));
}

BOOST_AUTO_TEST_CASE(every_tampered_handshake_byte_fails) {
  byte_span prologue{std::string_view{"p"}};
  for (int target = 0; target < 3; ++target) {
    size_t size = target == 0 ? 32 + 7 : target == 1 ? 96 + 7 : 64 + 7;
    for (size_t at = 0; at < size; ++at) {
      for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
        auto flip = [&](int step, bytes& msg) {
          if (step == target)
            msg[at] ^= mask;
        };
        error err = handshake_error(flip, prologue, prologue);
        BOOST_TEST_CONTEXT("message " << target << " byte " << at << " mask " << int(mask)) {
          // A changed key may happen to be a low-order point; everything else fails the tag.
          BOOST_TEST((err.is(noise_errc::decrypt_failed) || err.is(noise_errc::bad_dh)));
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(truncated_and_extended_handshake_messages_fail) {
  byte_span prologue{std::string_view{"p"}};
  size_t sizes[3] = {32 + 7, 96 + 7, 64 + 7};
  size_t minimum[3] = {32, 96, 64};
  for (int target = 0; target < 3; ++target) {
    for (size_t size = 0; size < sizes[target]; ++size) {
      auto cut = [&](int step, bytes& msg) {
        if (step == target)
          msg.resize(size);
      };
      error err = handshake_error(cut, prologue, prologue);
      BOOST_TEST_CONTEXT("message " << target << " cut to " << size) {
        if (size < minimum[target])
          BOOST_TEST(err.is(noise_errc::message_too_short));
        else
          BOOST_TEST(err.is(noise_errc::decrypt_failed));
      }
    }
    auto extend = [&](int step, bytes& msg) {
      if (step == target)
        msg.push_back(0);
    };
    BOOST_TEST(handshake_error(extend, prologue, prologue).is(noise_errc::decrypt_failed));
  }
}

BOOST_AUTO_TEST_CASE(handshake_steps_out_of_order_fail) {
  byte_span prologue{std::string_view{"p"}};
  auto resp = noise_handshake::responder(test_keys(2), prologue);
  BOOST_TEST(!resp.writes_next());
  BOOST_TEST(resp.write_message({}).error().is(noise_errc::out_of_turn));
  // A failed handshake refuses everything afterwards.
  BOOST_TEST(resp.failed());
  BOOST_TEST(resp.read_message(bytes(32)).error().is(noise_errc::handshake_failed));
  BOOST_TEST(resp.split().error().is(noise_errc::handshake_failed));

  auto init = noise_handshake::initiator(test_keys(1), prologue);
  BOOST_TEST(init.writes_next());
  BOOST_TEST(init.read_message(bytes(32)).error().is(noise_errc::out_of_turn));

  auto init2 = noise_handshake::initiator(test_keys(1), prologue);
  bytes msg1 = init2.write_message({}).value();
  BOOST_TEST(init2.split().error().is(noise_errc::handshake_incomplete));
  BOOST_TEST(init2.write_message({}).error().is(noise_errc::out_of_turn));

  handshake_run r = run_handshake();
  BOOST_TEST(r.initiator.write_message({}).error().is(noise_errc::out_of_turn));
  BOOST_TEST(r.responder.read_message(r.msg3).error().is(noise_errc::out_of_turn));
  handshake_run s = run_handshake();
  BOOST_REQUIRE(s.initiator.split());
  BOOST_TEST(s.initiator.split().error().is(noise_errc::out_of_turn));
}

BOOST_AUTO_TEST_CASE(replayed_or_crossed_handshake_messages_fail) {
  handshake_run a = run_handshake();
  handshake_run b = run_handshake();
  // b's responder state after its message 2 cannot accept a's message 3.
  byte_span prologue{std::string_view{"dynfeed"}};
  auto resp = noise_handshake::responder(test_keys(2), prologue);
  BOOST_REQUIRE(resp.read_message(b.msg1));
  BOOST_REQUIRE(resp.write_message({}));
  BOOST_TEST(resp.read_message(a.msg3).error().is(noise_errc::decrypt_failed));
  // An initiator cannot accept a message 2 made for another initiator's message 1.
  auto init = noise_handshake::initiator(test_keys(1), prologue);
  BOOST_REQUIRE(init.write_message({}));
  BOOST_TEST(init.read_message(a.msg2).error().is(noise_errc::decrypt_failed));
}

BOOST_AUTO_TEST_CASE(oversized_handshake_messages_fail) {
  byte_span prologue{std::string_view{"p"}};
  auto init = noise_handshake::initiator(test_keys(1), prologue);
  bytes payload(noise_message_size_max - 32 + 1);
  BOOST_TEST(init.write_message(payload).error().is(noise_errc::message_too_long));
  auto init2 = noise_handshake::initiator(test_keys(1), prologue);
  payload.pop_back();
  BOOST_TEST(init2.write_message(payload).value().size() == noise_message_size_max);

  auto resp = noise_handshake::responder(test_keys(2), prologue);
  BOOST_TEST(resp.read_message(bytes(noise_message_size_max + 1))
               .error()
               .is(noise_errc::message_too_long));
  auto resp2 = noise_handshake::responder(test_keys(2), prologue);
  BOOST_REQUIRE(resp2.read_message(bytes(40)));
  BOOST_TEST(resp2.write_message(bytes(noise_message_size_max - 96 + 1))
               .error()
               .is(noise_errc::message_too_long));
}

BOOST_AUTO_TEST_CASE(low_order_keys_fail) {
  byte_span prologue{std::string_view{"p"}};
  for (uint8_t first : {uint8_t{0}, uint8_t{1}}) {
    bytes low(32);
    low[0] = first;
    // The responder's first DH (ee) is in its own message 2.
    auto resp = noise_handshake::responder(test_keys(2), prologue);
    BOOST_REQUIRE(resp.read_message(low));
    BOOST_TEST(resp.write_message({}).error().is(noise_errc::bad_dh));

    auto init = noise_handshake::initiator(test_keys(1), prologue);
    BOOST_REQUIRE(init.write_message({}));
    bytes msg2(96);
    std::copy(low.begin(), low.end(), msg2.begin());
    BOOST_TEST(init.read_message(msg2).error().is(noise_errc::bad_dh));
  }
}

BOOST_AUTO_TEST_CASE(transport_messages) {
  handshake_run r = run_handshake();
  noise_transport ti = r.initiator.split().value();
  noise_transport tr = r.responder.split().value();
  for (size_t size : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{1000},
                      noise_plaintext_size_max}) {
    bytes plain = pattern_bytes(size, size);
    bytes sealed = ti.encrypt(plain).value();
    BOOST_TEST(sealed.size() == size + noise_tag_size);
    BOOST_TEST(tr.decrypt(sealed).value() == plain);
    // In place, as the channel does it.
    bytes buf = plain;
    buf.resize(size + noise_tag_size);
    BOOST_TEST(tr.encrypt_in_place(buf.data(), size).value() == size + noise_tag_size);
    BOOST_TEST(ti.decrypt_into(buf, buf.data()).value() == size);
    buf.resize(size);
    BOOST_TEST(buf == plain);
  }
  BOOST_TEST(ti.encrypt(bytes(noise_plaintext_size_max + 1)).error().is(
    noise_errc::message_too_long));
  BOOST_TEST(tr.decrypt(bytes(noise_message_size_max + 1)).error().is(
    noise_errc::message_too_long));
  BOOST_TEST(tr.decrypt(bytes(15)).error().is(noise_errc::message_too_short));
}

BOOST_AUTO_TEST_CASE(transport_rejects_tampering_replay_and_reordering) {
  handshake_run r = run_handshake();
  noise_transport ti = r.initiator.split().value();
  noise_transport tr = r.responder.split().value();
  bytes m0 = ti.encrypt(byte_span{std::string_view{"zero"}}).value();
  bytes m1 = ti.encrypt(byte_span{std::string_view{"one"}}).value();
  // Reordered: m1 under nonce 0 fails, and a failure does not move the nonce.
  BOOST_TEST(tr.decrypt(m1).error().is(noise_errc::decrypt_failed));
  BOOST_TEST(tr.receive_nonce() == 0u);
  for (size_t at = 0; at < m0.size(); ++at) {
    bytes bad = m0;
    bad[at] ^= 0x04;
    BOOST_TEST(tr.decrypt(bad).error().is(noise_errc::decrypt_failed));
  }
  bytes truncated(m0.begin(), m0.end() - 1);
  BOOST_TEST(tr.decrypt(truncated).error().is(noise_errc::decrypt_failed));
  BOOST_TEST(to_text(tr.decrypt(m0).value()) == "zero");
  BOOST_TEST(tr.decrypt(m0).error().is(noise_errc::decrypt_failed)); // replay
  BOOST_TEST(to_text(tr.decrypt(m1).value()) == "one");
  // A message of one direction does not decrypt in the other.
  bytes back = tr.encrypt(byte_span{std::string_view{"x"}}).value();
  BOOST_TEST(tr.decrypt(back).error().is(noise_errc::decrypt_failed));
  BOOST_TEST(to_text(ti.decrypt(back).value()) == "x");
}

BOOST_AUTO_TEST_CASE(transport_nonce_exhaustion) {
  handshake_run r = run_handshake();
  noise_transport ti = r.initiator.split().value();
  noise_transport tr = r.responder.split().value();
  uint64_t last = std::numeric_limits<uint64_t>::max() - 1;
  ti.set_nonces(last, 0);
  tr.set_nonces(0, last);
  bytes m = ti.encrypt(byte_span{std::string_view{"last"}}).value();
  BOOST_TEST(to_text(tr.decrypt(m).value()) == "last");
  BOOST_TEST(ti.encrypt({}).error().is(noise_errc::nonce_exhausted));
  BOOST_TEST(tr.decrypt(m).error().is(noise_errc::nonce_exhausted));
}

// ---- published test vectors ----------------------------------------------------------------

namespace {

bytes hex_field(const nlohmann::json& j, const char* key) {
  auto out = from_hex(j.at(key).get<std::string>());
  if (!out)
    throw std::runtime_error(std::string("bad hex in ") + key);
  return *out;
}

noise_keypair vector_keypair(const nlohmann::json& v, const char* key) {
  return noise_keypair::from_secret_key(noise_secret_key::from(hex_field(v, key)));
}

/// Checks one vector: every handshake and transport message byte for byte, then the hash.
void check_vector(const nlohmann::json& v) {
  auto init = noise_handshake::initiator(vector_keypair(v, "init_static"),
                                         hex_field(v, "init_prologue"));
  auto resp = noise_handshake::responder(vector_keypair(v, "resp_static"),
                                         hex_field(v, "resp_prologue"));
  init.inject_ephemeral_for_testing(vector_keypair(v, "init_ephemeral"));
  resp.inject_ephemeral_for_testing(vector_keypair(v, "resp_ephemeral"));
  noise_transport ti;
  noise_transport tr;
  const auto& messages = v.at("messages");
  for (size_t i = 0; i < messages.size(); ++i) {
    bytes payload = hex_field(messages[i], "payload");
    bytes expected_ct = hex_field(messages[i], "ciphertext");
    bool from_initiator = i % 2 == 0;
    BOOST_TEST_CONTEXT("message " << i) {
      if (i < 3) {
        noise_handshake& writer = from_initiator ? init : resp;
        noise_handshake& reader = from_initiator ? resp : init;
        bytes ct = writer.write_message(payload).value();
        BOOST_TEST(to_hex(ct) == to_hex(expected_ct));
        BOOST_TEST(to_hex(reader.read_message(ct).value()) == to_hex(payload));
        if (i == 2) {
          BOOST_REQUIRE(init.complete());
          BOOST_REQUIRE(resp.complete());
          if (v.contains("handshake_hash"))
            BOOST_TEST(to_hex(init.handshake_hash()) == v["handshake_hash"].get<std::string>());
          BOOST_TEST(to_hex(init.remote_static())
                     == to_hex(vector_keypair(v, "resp_static").pk));
          ti = init.split().value();
          tr = resp.split().value();
        }
      } else {
        noise_transport& writer = from_initiator ? ti : tr;
        noise_transport& reader = from_initiator ? tr : ti;
        bytes ct = writer.encrypt(payload).value();
        BOOST_TEST(to_hex(ct) == to_hex(expected_ct));
        BOOST_TEST(to_hex(reader.decrypt(ct).value()) == to_hex(payload));
      }
    }
  }
}

bool is_plain_xx(const nlohmann::json& v) {
  std::string name = v.value("protocol_name", v.value("name", std::string{}));
  if (name != noise_protocol_name)
    return false;
  for (const char* key : {"init_psks", "resp_psks"})
    if (v.contains(key) && !v[key].empty())
      return false;
  return !v.value("fail", false);
}

} // namespace

/// DYNFEED_NOISE_VECTORS names one or more files (separated by ':') in the format of the Noise
/// project's cacophony vectors; every Noise_XX_25519_ChaChaPoly_BLAKE2b entry must match.
BOOST_AUTO_TEST_CASE(published_vectors) {
  const char* paths = std::getenv("DYNFEED_NOISE_VECTORS");
  if (!paths || !*paths) {
    std::cout << "DYNFEED_NOISE_VECTORS is not set: published Noise vectors not checked\n";
    return;
  }
  std::stringstream list{paths};
  std::string path;
  size_t checked = 0;
  while (std::getline(list, path, ':')) {
    std::ifstream in(path);
    if (!in) {
      std::cout << "no Noise vectors at " << path << ": skipped\n";
      continue;
    }
    auto doc = nlohmann::json::parse(in);
    for (const auto& v : doc.at("vectors")) {
      if (!is_plain_xx(v))
        continue;
      BOOST_TEST_CONTEXT(path << " vector " << checked) { check_vector(v); }
      ++checked;
    }
  }
  std::cout << "checked " << checked << " Noise_XX_25519_ChaChaPoly_BLAKE2b vectors\n";
}

BOOST_AUTO_TEST_SUITE_END()
