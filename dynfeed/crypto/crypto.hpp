#pragma once

/// Keys, hashes and signatures. crypto/ is the only part of dynfeed that includes sodium.h;
/// everything else sees these plain types.

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/base/expected.hpp"
#include "dynfeed/crypto/errc.hpp"

#include <initializer_list>
#include <optional>
#include <unordered_map>
#include <string>

namespace dynfeed {

struct public_key_tag {};
struct signature_tag {};
struct seed_tag {};

/// An Ed25519 public key. In compat key mode this is also the feed key.
using public_key = fixed_bytes<32, public_key_tag>;
/// An Ed25519 detached signature.
using signature = fixed_bytes<64, signature_tag>;
/// 32 bytes from which an Ed25519 keypair is derived deterministically.
using key_seed = fixed_bytes<32, seed_tag>;

/// An Ed25519 secret key (libsodium layout: seed || public key). Its bytes are wiped when it is
/// destroyed, and it has no hex or stream output so that it cannot end up in a log by accident.
class secret_key {
public:
  static constexpr size_t size_bytes = 64;
  secret_key() noexcept = default;
  secret_key(const secret_key& other) noexcept;
  secret_key& operator=(const secret_key& other) noexcept;
  ~secret_key();

  static secret_key from(byte_span raw) noexcept;
  uint8_t* data() noexcept { return bytes_; }
  const uint8_t* data() const noexcept { return bytes_; }
  byte_span span() const noexcept { return {bytes_, size_bytes}; }
  /// The public key embedded in the last 32 bytes.
  public_key embedded_public_key() const noexcept;

private:
  uint8_t bytes_[size_bytes] = {};
};

struct keypair {
  public_key pk;
  secret_key sk;
};

namespace crypto {

/// Generates a keypair from the operating system's randomness.
keypair generate_keypair();
/// Derives the keypair libsodium's crypto_sign_seed_keypair derives from `seed`.
keypair keypair_from_seed(const key_seed& seed);
/// Checks that `sk` is the secret half of `pk`.
status check_keypair(const public_key& pk, const secret_key& sk);

signature sign(byte_span message, const secret_key& sk);
bool verify(const signature& sig, byte_span message, const public_key& pk) noexcept;

/// Remembers verification results by (key, message hash, signature). A simulation of many
/// nodes verifies the same signed trees and values again and again; with a cache installed,
/// each distinct triple costs one Ed25519 verification and the rest a BLAKE2b of the message
/// and a lookup, with the same answers. Off unless installed; not thread-safe: install it
/// only in single-threaded programs (the simulator).
class verify_cache {
public:
  explicit verify_cache(size_t entries_max = size_t{1} << 20) : entries_max_(entries_max) {}
  std::optional<bool> find(const hash256& key) const;
  void insert(const hash256& key, bool valid);
  uint64_t hits() const noexcept { return hits_; }
  uint64_t misses() const noexcept { return misses_; }

private:
  size_t entries_max_;
  std::unordered_map<hash256, bool> entries_;
  mutable uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};
/// Installs (or, with nullptr, removes) the process-wide verification cache.
void set_verify_cache(verify_cache* cache) noexcept;

/// Unkeyed BLAKE2b-256 of the plain concatenation of `parts`.
hash256 blake2b_256(std::initializer_list<byte_span> parts) noexcept;
inline hash256 blake2b_256(byte_span data) noexcept { return blake2b_256({data}); }
/// Keyed BLAKE2b-256 (the key is 16 to 64 bytes).
hash256 blake2b_256_keyed(byte_span key, byte_span message) noexcept;

/// Hypercore's discovery key: BLAKE2b-256 keyed with the feed key over "hypercore".
/// Peers find each other by it without revealing the feed key.
hash256 discovery_key(const public_key& feed_key) noexcept;

void random_bytes(uint8_t* out, size_t size) noexcept;

} // namespace crypto
} // namespace dynfeed
