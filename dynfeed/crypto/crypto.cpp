#include "dynfeed/crypto/crypto.hpp"

#include "dynfeed/base/assert.hpp"

#include <sodium.h>

namespace dynfeed {

namespace {

/// libsodium must be initialised once before use; it is idempotent and thread-safe.
void ensure_sodium() noexcept {
  static const bool ok = sodium_init() >= 0;
  DYNFEED_ASSERT(ok);
}

} // namespace

secret_key::secret_key(const secret_key& other) noexcept {
  std::memcpy(bytes_, other.bytes_, size_bytes);
}

secret_key& secret_key::operator=(const secret_key& other) noexcept {
  std::memcpy(bytes_, other.bytes_, size_bytes);
  return *this;
}

secret_key::~secret_key() {
  sodium_memzero(bytes_, size_bytes);
}

secret_key secret_key::from(byte_span raw) noexcept {
  secret_key out;
  if (raw.size() == size_bytes)
    std::memcpy(out.bytes_, raw.data(), size_bytes);
  return out;
}

public_key secret_key::embedded_public_key() const noexcept {
  return public_key::from(byte_span{bytes_ + 32, 32});
}

namespace crypto {

keypair generate_keypair() {
  ensure_sodium();
  keypair kp;
  crypto_sign_keypair(kp.pk.data(), kp.sk.data());
  return kp;
}

keypair keypair_from_seed(const key_seed& seed) {
  ensure_sodium();
  keypair kp;
  crypto_sign_seed_keypair(kp.pk.data(), kp.sk.data(), seed.data());
  return kp;
}

status check_keypair(const public_key& pk, const secret_key& sk) {
  ensure_sodium();
  // The secret key starts with the seed; re-deriving proves both halves belong together.
  key_seed seed = key_seed::from(byte_span{sk.data(), 32});
  keypair derived = keypair_from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  if (derived.pk != pk || sodium_memcmp(derived.sk.data(), sk.data(), secret_key::size_bytes) != 0)
    return error{crypto_errc::bad_secret_key};
  return {};
}

signature sign(byte_span message, const secret_key& sk) {
  ensure_sodium();
  signature sig;
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), sk.data());
  return sig;
}

namespace {
verify_cache* installed_cache = nullptr;
} // namespace

std::optional<bool> verify_cache::find(const hash256& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end())
    return std::nullopt;
  ++hits_;
  return it->second;
}

void verify_cache::insert(const hash256& key, bool valid) {
  ++misses_;
  if (entries_.size() >= entries_max_)
    entries_.clear(); // crude, but bounded and deterministic
  entries_.emplace(key, valid);
}

void set_verify_cache(verify_cache* cache) noexcept {
  installed_cache = cache;
}

bool verify(const signature& sig, byte_span message, const public_key& pk) noexcept {
  ensure_sodium();
  if (installed_cache) {
    hash256 key = blake2b_256({pk.span(), sig.span(), blake2b_256(message).span()});
    if (auto known = installed_cache->find(key))
      return *known;
    bool valid =
      crypto_sign_verify_detached(sig.data(), message.data(), message.size(), pk.data()) == 0;
    installed_cache->insert(key, valid);
    return valid;
  }
  return crypto_sign_verify_detached(sig.data(), message.data(), message.size(), pk.data()) == 0;
}

hash256 blake2b_256(std::initializer_list<byte_span> parts) noexcept {
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, hash256::size());
  for (byte_span part : parts)
    crypto_generichash_update(&state, part.data(), part.size());
  hash256 out;
  crypto_generichash_final(&state, out.data(), out.size());
  return out;
}

hash256 blake2b_256_keyed(byte_span key, byte_span message) noexcept {
  DYNFEED_REQUIRE(key.size() >= crypto_generichash_KEYBYTES_MIN
                  && key.size() <= crypto_generichash_KEYBYTES_MAX);
  hash256 out;
  crypto_generichash(out.data(), out.size(), message.data(), message.size(), key.data(),
                     key.size());
  return out;
}

hash256 discovery_key(const public_key& feed_key) noexcept {
  return blake2b_256_keyed(feed_key.span(), byte_span{std::string_view{"hypercore"}});
}

void random_bytes(uint8_t* out, size_t size) noexcept {
  ensure_sodium();
  randombytes_buf(out, size);
}

} // namespace crypto
} // namespace dynfeed
