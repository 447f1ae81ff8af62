#include "dynfeed/crypto/noise.hpp"

#include "dynfeed/base/assert.hpp"

#include <sodium.h>

#include <limits>

namespace dynfeed {

namespace {

static_assert(noise_dh_size == crypto_scalarmult_BYTES);
static_assert(noise_dh_size == crypto_scalarmult_SCALARBYTES);
static_assert(noise_tag_size == crypto_aead_chacha20poly1305_ietf_ABYTES);
static_assert(noise_hash_size == crypto_generichash_blake2b_BYTES_MAX);
static_assert(crypto_box_SEEDBYTES == key_seed::size_bytes);

/// libsodium must be initialised before use; sodium_init is idempotent and thread-safe.
void ensure_sodium() noexcept {
  static const bool ok = sodium_init() >= 0;
  DYNFEED_ASSERT(ok);
}

/// HMAC's block size for BLAKE2b.
constexpr size_t hmac_block_size = 128;

/// HMAC-BLAKE2b over the concatenation of `part1` and `part2`, so that HKDF's
/// "previous output || counter byte" needs no joined copy.
noise_secret<noise_hash_size> hmac_parts(byte_span key, byte_span part1,
                                         byte_span part2) noexcept {
  DYNFEED_REQUIRE(key.size() <= hmac_block_size);
  noise_secret<hmac_block_size> pad;
  std::memcpy(pad.data(), key.data(), key.size());
  for (size_t i = 0; i < hmac_block_size; ++i)
    pad.data()[i] ^= 0x36;
  noise_secret<noise_hash_size> inner;
  crypto_generichash_blake2b_state state;
  crypto_generichash_blake2b_init(&state, nullptr, 0, noise_hash_size);
  crypto_generichash_blake2b_update(&state, pad.data(), hmac_block_size);
  crypto_generichash_blake2b_update(&state, part1.data(), part1.size());
  crypto_generichash_blake2b_update(&state, part2.data(), part2.size());
  crypto_generichash_blake2b_final(&state, inner.data(), noise_hash_size);
  // Turns the inner pad into the outer one: 0x36 ^ 0x5c undoes ipad and applies opad.
  for (size_t i = 0; i < hmac_block_size; ++i)
    pad.data()[i] ^= 0x36 ^ 0x5c;
  noise_secret<noise_hash_size> out;
  crypto_generichash_blake2b_init(&state, nullptr, 0, noise_hash_size);
  crypto_generichash_blake2b_update(&state, pad.data(), hmac_block_size);
  crypto_generichash_blake2b_update(&state, inner.data(), noise_hash_size);
  crypto_generichash_blake2b_final(&state, out.data(), noise_hash_size);
  sodium_memzero(&state, sizeof state);
  return out;
}

/// The AEAD nonce: 32 bits of zeros, then the counter in little-endian order.
void make_nonce(uint64_t n, uint8_t (&nonce)[crypto_aead_chacha20poly1305_ietf_NPUBBYTES]) noexcept {
  static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == 12);
  std::memset(nonce, 0, 4);
  store_u64le(nonce + 4, n);
}

/// The spec reserves the largest nonce, so a counter at it can encrypt nothing more.
constexpr uint64_t nonce_max = std::numeric_limits<uint64_t>::max();

} // namespace

namespace crypto {

void wipe(void* data, size_t size) noexcept {
  sodium_memzero(data, size);
}

noise_secret<noise_hash_size> hmac_blake2b(byte_span key, byte_span data) noexcept {
  return hmac_parts(key, data, {});
}

void noise_hkdf(byte_span chaining_key, byte_span input_key_material,
                noise_secret<noise_hash_size>& out1,
                noise_secret<noise_hash_size>& out2) noexcept {
  noise_secret<noise_hash_size> temp_key = hmac_parts(chaining_key, input_key_material, {});
  const uint8_t one = 0x01;
  const uint8_t two = 0x02;
  out1 = hmac_parts(temp_key.span(), {&one, 1}, {});
  out2 = hmac_parts(temp_key.span(), out1.span(), {&two, 1});
}

} // namespace crypto

// ---- keys -----------------------------------------------------------------------------------

noise_keypair noise_keypair::generate() {
  ensure_sodium();
  noise_keypair kp;
  randombytes_buf(kp.sk.data(), kp.sk.size());
  crypto_scalarmult_base(kp.pk.data(), kp.sk.data());
  return kp;
}

noise_keypair noise_keypair::from_seed(const key_seed& seed) {
  ensure_sodium();
  noise_keypair kp;
  crypto_box_seed_keypair(kp.pk.data(), kp.sk.data(), seed.data());
  return kp;
}

noise_keypair noise_keypair::from_secret_key(const noise_secret_key& sk) {
  ensure_sodium();
  noise_keypair kp;
  kp.sk = sk;
  crypto_scalarmult_base(kp.pk.data(), kp.sk.data());
  return kp;
}

// ---- CipherState ----------------------------------------------------------------------------

void noise_cipher_state::initialize_key(const uint8_t* key) noexcept {
  std::memcpy(k_.data(), key, k_.size());
  n_ = 0;
  has_key_ = true;
}

expected<size_t> noise_cipher_state::encrypt_in_place(byte_span ad, uint8_t* data, size_t size) {
  return encrypt_into(ad, byte_span{data, size}, data);
}

expected<size_t> noise_cipher_state::encrypt_into(byte_span ad, byte_span plaintext,
                                                  uint8_t* out) {
  if (!has_key_) {
    if (!plaintext.empty() && plaintext.data() != out)
      std::memmove(out, plaintext.data(), plaintext.size());
    return plaintext.size();
  }
  if (n_ == nonce_max)
    return error{noise_errc::nonce_exhausted};
  uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
  make_nonce(n_, nonce);
  crypto_aead_chacha20poly1305_ietf_encrypt_detached(
    out, out + plaintext.size(), nullptr, plaintext.data(), plaintext.size(), ad.data(),
    ad.size(), nullptr, nonce, k_.data());
  ++n_;
  return plaintext.size() + noise_tag_size;
}

expected<size_t> noise_cipher_state::decrypt_into(byte_span ad, byte_span ciphertext,
                                                  uint8_t* out) {
  if (!has_key_) {
    if (!ciphertext.empty() && ciphertext.data() != out)
      std::memmove(out, ciphertext.data(), ciphertext.size());
    return ciphertext.size();
  }
  if (ciphertext.size() < noise_tag_size)
    return error{noise_errc::message_too_short};
  if (n_ == nonce_max)
    return error{noise_errc::nonce_exhausted};
  uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
  make_nonce(n_, nonce);
  size_t size = ciphertext.size() - noise_tag_size;
  // libsodium checks the tag before it writes any plaintext.
  if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(
        out, nullptr, ciphertext.data(), size, ciphertext.data() + size, ad.data(), ad.size(),
        nonce, k_.data())
      != 0)
    return error{noise_errc::decrypt_failed};
  ++n_;
  return size;
}

// ---- SymmetricState -------------------------------------------------------------------------

noise_symmetric_state::noise_symmetric_state(std::string_view protocol_name) {
  ensure_sodium();
  if (protocol_name.size() <= noise_hash_size) {
    std::memcpy(h_.data(), protocol_name.data(), protocol_name.size());
  } else {
    crypto_generichash_blake2b(h_.data(), noise_hash_size,
                               reinterpret_cast<const uint8_t*>(protocol_name.data()),
                               protocol_name.size(), nullptr, 0);
  }
  std::memcpy(ck_.data(), h_.data(), noise_hash_size);
}

void noise_symmetric_state::mix_key(byte_span input_key_material) {
  noise_secret<noise_hash_size> ck;
  noise_secret<noise_hash_size> temp_k;
  crypto::noise_hkdf(ck_.span(), input_key_material, ck, temp_k);
  ck_ = ck;
  cs_.initialize_key(temp_k.data()); // HASHLEN 64: the key is the first 32 bytes
}

void noise_symmetric_state::mix_hash(byte_span data) {
  crypto_generichash_blake2b_state state;
  crypto_generichash_blake2b_init(&state, nullptr, 0, noise_hash_size);
  crypto_generichash_blake2b_update(&state, h_.data(), noise_hash_size);
  crypto_generichash_blake2b_update(&state, data.data(), data.size());
  crypto_generichash_blake2b_final(&state, h_.data(), noise_hash_size);
}

status noise_symmetric_state::encrypt_and_hash(byte_span plaintext, bytes& out) {
  size_t at = out.size();
  out.resize(at + plaintext.size() + (cs_.has_key() ? noise_tag_size : 0));
  auto written = cs_.encrypt_into(h_, plaintext, out.data() + at);
  if (!written) {
    out.resize(at);
    return std::move(written).error();
  }
  mix_hash(byte_span{out.data() + at, *written});
  return {};
}

status noise_symmetric_state::decrypt_and_hash(byte_span ciphertext, bytes& out) {
  if (cs_.has_key() && ciphertext.size() < noise_tag_size)
    return error{noise_errc::message_too_short};
  size_t at = out.size();
  out.resize(at + ciphertext.size() - (cs_.has_key() ? noise_tag_size : 0));
  auto read = cs_.decrypt_into(h_, ciphertext, out.data() + at);
  if (!read) {
    out.resize(at);
    return std::move(read).error();
  }
  mix_hash(ciphertext);
  return {};
}

std::pair<noise_cipher_state, noise_cipher_state> noise_symmetric_state::split() const {
  noise_secret<noise_hash_size> k1;
  noise_secret<noise_hash_size> k2;
  crypto::noise_hkdf(ck_.span(), {}, k1, k2);
  std::pair<noise_cipher_state, noise_cipher_state> out;
  out.first.initialize_key(k1.data());
  out.second.initialize_key(k2.data());
  return out;
}

// ---- transport ------------------------------------------------------------------------------

expected<bytes> noise_transport::encrypt(byte_span plaintext) {
  if (plaintext.size() > noise_plaintext_size_max)
    return error{noise_errc::message_too_long};
  bytes out(plaintext.size() + noise_tag_size);
  auto written = send_.encrypt_into({}, plaintext, out.data());
  if (!written)
    return std::move(written).error();
  return out;
}

expected<bytes> noise_transport::decrypt(byte_span ciphertext) {
  if (ciphertext.size() > noise_message_size_max)
    return error{noise_errc::message_too_long};
  if (ciphertext.size() < noise_tag_size)
    return error{noise_errc::message_too_short};
  bytes out(ciphertext.size() - noise_tag_size);
  auto read = receive_.decrypt_into({}, ciphertext, out.data());
  if (!read)
    return std::move(read).error();
  return out;
}

expected<size_t> noise_transport::encrypt_in_place(uint8_t* data, size_t size) {
  return encrypt_into(byte_span{data, size}, data);
}

expected<size_t> noise_transport::encrypt_into(byte_span plaintext, uint8_t* out) {
  if (plaintext.size() > noise_plaintext_size_max)
    return error{noise_errc::message_too_long};
  return send_.encrypt_into({}, plaintext, out);
}

expected<size_t> noise_transport::decrypt_into(byte_span ciphertext, uint8_t* out) {
  if (ciphertext.size() > noise_message_size_max)
    return error{noise_errc::message_too_long};
  return receive_.decrypt_into({}, ciphertext, out);
}

void noise_transport::set_nonces(uint64_t send, uint64_t receive) noexcept {
  send_.set_nonce(send);
  receive_.set_nonce(receive);
}

// ---- HandshakeState for XX ------------------------------------------------------------------

namespace {

enum token : uint8_t { token_e, token_s, token_ee, token_es, token_se, token_end };

/// The XX message patterns; the initiator writes messages 0 and 2.
constexpr uint8_t xx_pattern[3][5] = {
  {token_e, token_end},
  {token_e, token_ee, token_s, token_es, token_end},
  {token_s, token_se, token_end},
};
constexpr size_t xx_step_count = 3;

} // namespace

noise_handshake::noise_handshake(noise_role role, const noise_keypair& static_keys,
                                 byte_span prologue)
  : role_(role), symmetric_(noise_protocol_name), s_(static_keys) {
  // XX has no pre-messages, so the prologue is the only thing mixed in before message 0.
  symmetric_.mix_hash(prologue);
}

noise_handshake noise_handshake::initiator(const noise_keypair& static_keys,
                                           byte_span prologue) {
  return noise_handshake{noise_role::initiator, static_keys, prologue};
}

noise_handshake noise_handshake::responder(const noise_keypair& static_keys,
                                           byte_span prologue) {
  return noise_handshake{noise_role::responder, static_keys, prologue};
}

void noise_handshake::inject_ephemeral_for_testing(const noise_keypair& ephemeral) {
  bool written = role_ == noise_role::initiator ? step_ > 0 : step_ > 1;
  DYNFEED_REQUIRE(!written);
  e_ = ephemeral;
  has_e_ = true;
}

bool noise_handshake::writes_next() const noexcept {
  return step_ < xx_step_count && (step_ % 2 == 0) == (role_ == noise_role::initiator);
}

bool noise_handshake::complete() const noexcept {
  return step_ == xx_step_count && !failed_;
}

const noise_public_key& noise_handshake::remote_static() const {
  DYNFEED_REQUIRE(has_rs_);
  return rs_;
}

error noise_handshake::fail(error err) {
  failed_ = true;
  return err;
}

size_t noise_handshake::step_overhead(size_t step) const noexcept {
  bool keyed = symmetric_.has_key();
  size_t size = 0;
  for (const uint8_t* t = xx_pattern[step]; *t != token_end; ++t) {
    if (*t == token_e)
      size += noise_dh_size;
    else if (*t == token_s)
      size += noise_dh_size + (keyed ? noise_tag_size : 0);
    else
      keyed = true;
  }
  return size + (keyed ? noise_tag_size : 0);
}

status noise_handshake::mix_dh(const noise_secret_key& sk, const noise_public_key& pk) {
  noise_secret<noise_dh_size> shared;
  // libsodium refuses low-order points and all-zero results, which the spec allows an
  // implementation to treat as an error.
  if (crypto_scalarmult(shared.data(), sk.data(), pk.data()) != 0)
    return error{noise_errc::bad_dh};
  symmetric_.mix_key(shared.span());
  return {};
}

status noise_handshake::dh_token(uint8_t token) {
  bool initiator = role_ == noise_role::initiator;
  switch (token) {
    case token_ee:
      return mix_dh(e_.sk, re_);
    case token_es:
      return initiator ? mix_dh(e_.sk, rs_) : mix_dh(s_.sk, re_);
    case token_se:
      return initiator ? mix_dh(s_.sk, re_) : mix_dh(e_.sk, rs_);
  }
  DYNFEED_ASSERT(false);
  return {};
}

status noise_handshake::write_tokens(size_t step, byte_span payload, bytes& out) {
  for (const uint8_t* t = xx_pattern[step]; *t != token_end; ++t) {
    if (*t == token_e) {
      if (!has_e_)
        e_ = noise_keypair::generate();
      has_e_ = true;
      out.insert(out.end(), e_.pk.bytes.begin(), e_.pk.bytes.end());
      symmetric_.mix_hash(e_.pk);
    } else if (*t == token_s) {
      if (auto st = symmetric_.encrypt_and_hash(s_.pk, out); !st)
        return st;
    } else if (auto st = dh_token(*t); !st) {
      return st;
    }
  }
  return symmetric_.encrypt_and_hash(payload, out);
}

status noise_handshake::read_tokens(size_t step, byte_span message, bytes& payload) {
  size_t at = 0;
  for (const uint8_t* t = xx_pattern[step]; *t != token_end; ++t) {
    if (*t == token_e) {
      re_ = noise_public_key::from(message.subspan(at, noise_dh_size));
      at += noise_dh_size;
      symmetric_.mix_hash(re_);
    } else if (*t == token_s) {
      size_t size = noise_dh_size + (symmetric_.has_key() ? noise_tag_size : 0);
      bytes key;
      if (auto st = symmetric_.decrypt_and_hash(message.subspan(at, size), key); !st)
        return st;
      at += size;
      rs_ = noise_public_key::from(key);
      has_rs_ = true;
    } else if (auto st = dh_token(*t); !st) {
      return st;
    }
  }
  return symmetric_.decrypt_and_hash(message.subspan(at, message.size() - at), payload);
}

expected<bytes> noise_handshake::write_message(byte_span payload) {
  if (failed_)
    return error{noise_errc::handshake_failed};
  if (!writes_next())
    return fail(error{noise_errc::out_of_turn});
  size_t size = step_overhead(step_) + payload.size();
  if (size > noise_message_size_max)
    return fail(error{noise_errc::message_too_long});
  bytes out;
  out.reserve(size);
  if (auto st = write_tokens(step_, payload, out); !st)
    return fail(std::move(st).error());
  DYNFEED_ASSERT(out.size() == size);
  ++step_;
  return out;
}

expected<bytes> noise_handshake::read_message(byte_span message) {
  if (failed_)
    return error{noise_errc::handshake_failed};
  if (step_ >= xx_step_count || writes_next())
    return fail(error{noise_errc::out_of_turn});
  if (message.size() > noise_message_size_max)
    return fail(error{noise_errc::message_too_long});
  if (message.size() < step_overhead(step_))
    return fail(error{noise_errc::message_too_short});
  bytes payload;
  if (auto st = read_tokens(step_, message, payload); !st)
    return fail(std::move(st).error());
  ++step_;
  return payload;
}

expected<noise_transport> noise_handshake::split() {
  if (failed_)
    return error{noise_errc::handshake_failed};
  if (step_ < xx_step_count)
    return error{noise_errc::handshake_incomplete};
  if (split_)
    return error{noise_errc::out_of_turn};
  split_ = true;
  auto [c1, c2] = symmetric_.split();
  if (role_ == noise_role::initiator)
    return noise_transport{c1, c2, symmetric_.handshake_hash()};
  return noise_transport{c2, c1, symmetric_.handshake_hash()};
}

} // namespace dynfeed
