// The Noise XX handshake and the encrypted channel. The first byte picks the side:
// 0, a responder reads message 1, answers, reads message 3, then decrypts transport messages;
// 1, an initiator writes message 1, reads message 2, writes message 3, then decrypts;
// otherwise the rest is fed, in pieces of the sizes it names, to a secure_channel responder.
// Messages are a u16 size and their bytes. The ephemeral keys are fixed, so the seeds (a real
// handshake between the two sides) get through and the fuzzer mutates a live session. Only
// the real peer can complete a handshake, and only its plaintexts can decrypt.

#include "dynfeed/channel/secure_channel.hpp"
#include "fuzz/fuzz_support.hpp"

#include <set>
#include <string>

using namespace dynfeed;

namespace {

enum mode : uint8_t { responder_mode = 0, initiator_mode = 1, channel_mode = 2 };

noise_keypair keys(uint8_t n) {
  key_seed seed;
  seed.bytes[0] = n;
  return noise_keypair::from_seed(seed);
}

struct parties {
  noise_keypair initiator_static = keys(1);
  noise_keypair initiator_ephemeral = keys(2);
  noise_keypair responder_static = keys(3);
  noise_keypair responder_ephemeral = keys(4);
  bytes prologue{'d', 'f'};
  std::set<bytes> plaintexts{{'h', 'i', ' ', '0'}, {'h', 'i', ' ', '1'}, {}};

  noise_handshake initiator() const {
    auto hs = noise_handshake::initiator(initiator_static, prologue);
    hs.inject_ephemeral_for_testing(initiator_ephemeral);
    return hs;
  }
  noise_handshake responder() const {
    auto hs = noise_handshake::responder(responder_static, prologue);
    hs.inject_ephemeral_for_testing(responder_ephemeral);
    return hs;
  }
};

const parties& the() {
  static const parties* p = new parties;
  return *p;
}

bool is_noise_error(const error& err) {
  return err.category() == "noise";
}

/// Decrypts every remaining message; only the real peer's plaintexts may come out.
void decrypt_rest(fuzz::input& in, noise_transport& transport) {
  while (!in.empty()) {
    auto plain = transport.decrypt(in.sized());
    if (!plain) {
      fuzz::check(is_noise_error(plain.error()), "a decryption refusal outside noise");
      return;
    }
    fuzz::check(the().plaintexts.count(*plain) > 0, "a plaintext the peer never sent");
  }
}

void run_responder(fuzz::input& in) {
  noise_handshake hs = the().responder();
  auto first = hs.read_message(in.sized());
  if (!first)
    return fuzz::check(is_noise_error(first.error()) && hs.failed(), "message 1 refusal");
  // A low-order ephemeral key is read, then refused by the DH of the answer (libsodium's check).
  auto second = hs.write_message({});
  if (!second)
    return fuzz::check(is_noise_error(second.error()) && hs.failed(), "message 2 refusal");
  auto third = hs.read_message(in.sized());
  if (!third)
    return fuzz::check(is_noise_error(third.error()) && hs.failed(), "message 3 refusal");
  fuzz::check(hs.complete() && hs.remote_static() == the().initiator_static.pk,
              "a handshake completed with someone else's key");
  auto transport = hs.split();
  fuzz::check(static_cast<bool>(transport), "a completed handshake does not split");
  decrypt_rest(in, *transport);
}

void run_initiator(fuzz::input& in) {
  noise_handshake hs = the().initiator();
  fuzz::check(static_cast<bool>(hs.write_message({})), "the initiator cannot start");
  auto second = hs.read_message(in.sized());
  if (!second)
    return fuzz::check(is_noise_error(second.error()) && hs.failed(), "message 2 refusal");
  fuzz::check(hs.remote_static() == the().responder_static.pk,
              "message 2 authenticated someone else's key");
  fuzz::check(static_cast<bool>(hs.write_message({})), "the initiator cannot finish");
  auto transport = hs.split();
  fuzz::check(static_cast<bool>(transport), "a completed handshake does not split");
  decrypt_rest(in, *transport);
}

void run_channel(fuzz::input& in) {
  secure_channel channel{noise_role::responder, the().responder_static, {}};
  channel_events events;
  while (!in.empty() && !channel.failed()) {
    bytes piece = in.take(1 + in.u8());
    status fed = channel.feed(piece, events);
    fuzz::check(fed || fed.error().category() == "noise" || fed.error().category() == "channel",
                "a channel refusal of another kind");
  }
}

/// A real handshake, then two transport messages each way: message i as a u16 size and bytes.
std::pair<bytes, bytes> transcripts() {
  noise_handshake i = the().initiator();
  noise_handshake r = the().responder();
  bytes m1 = *i.write_message({});
  (void)r.read_message(m1);
  bytes m2 = *r.write_message({});
  (void)i.read_message(m2);
  bytes m3 = *i.write_message({});
  (void)r.read_message(m3);
  noise_transport ti = *i.split();
  noise_transport tr = *r.split();
  fuzz::output to_responder, to_initiator;
  to_responder.u8(responder_mode).sized(m1).sized(m3);
  to_initiator.u8(initiator_mode).sized(m2);
  for (const bytes& text : the().plaintexts) {
    to_responder.sized(*ti.encrypt(text));
    to_initiator.sized(*tr.encrypt(text));
  }
  return {to_responder.take(), to_initiator.take()};
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  auto [to_responder, to_initiator] = transcripts();
  noise_handshake i = the().initiator();
  bytes m1 = *i.write_message({});
  // The channel seed: message 1 with its 2-byte size, in two pieces (the sizes are minus one).
  auto size = static_cast<uint8_t>(m1.size());
  bytes channel_seed =
    fuzz::output{}.u8(channel_mode).u8(1).u8(0).u8(size).u8(size - 1).raw(m1).take();
  fuzz::write_seeds({to_responder, to_initiator, channel_seed});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::input in{data, size};
  uint8_t mode = in.u8();
  if (mode == responder_mode)
    run_responder(in);
  else if (mode == initiator_mode)
    run_initiator(in);
  else
    run_channel(in);
  return 0;
}
