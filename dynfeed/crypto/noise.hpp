#pragma once

/// The Noise protocol framework (revision 34) for one protocol, the one Hypercore's replication
/// streams use: Noise_XX_25519_ChaChaPoly_BLAKE2b. Both sides have a static X25519 keypair (the
/// node identity) and learn each other's during the handshake:
///
///   -> e
///   <- e, ee, s, es
///   -> s, se
///
/// After the third message `split()` gives a `noise_transport` with one cipher per direction.
/// Every failure caused by input is a `noise_errc` value; a handshake that failed once refuses
/// everything afterwards, as the spec asks ("the handshake is aborted").

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/base/expected.hpp"
#include "dynfeed/crypto/crypto.hpp"
#include "dynfeed/crypto/noise_errc.hpp"

#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>

namespace dynfeed {

/// The largest Noise message, handshake or transport, including tags.
constexpr size_t noise_message_size_max = 65535;
/// The Poly1305 tag each encrypted payload carries.
constexpr size_t noise_tag_size = 16;
/// The largest plaintext of one transport message.
constexpr size_t noise_plaintext_size_max = noise_message_size_max - noise_tag_size;
/// X25519 keys and shared secrets.
constexpr size_t noise_dh_size = 32;
/// BLAKE2b with its full 64-byte output (HASHLEN).
constexpr size_t noise_hash_size = 64;
/// The full protocol name, hashed into the handshake.
constexpr std::string_view noise_protocol_name = "Noise_XX_25519_ChaChaPoly_BLAKE2b";

struct noise_public_key_tag {};
struct noise_hash_tag {};
/// An X25519 public key: a node's static identity or an ephemeral key.
using noise_public_key = fixed_bytes<noise_dh_size, noise_public_key_tag>;
/// The handshake hash `h`: both sides hold the same value after a successful handshake, so
/// it can bind later messages (such as capability proofs) to this one session.
using noise_hash = fixed_bytes<noise_hash_size, noise_hash_tag>;

namespace crypto {
/// Overwrites `size` bytes with zeros in a way the compiler cannot elide.
void wipe(void* data, size_t size) noexcept;
} // namespace crypto

/// N secret bytes (keys, chaining keys) that are wiped when destroyed and never printed.
template <size_t N>
class noise_secret {
public:
  static constexpr size_t size_bytes = N;
  noise_secret() noexcept = default;
  noise_secret(const noise_secret& other) noexcept { std::memcpy(bytes_, other.bytes_, N); }
  noise_secret& operator=(const noise_secret& other) noexcept {
    std::memcpy(bytes_, other.bytes_, N);
    return *this;
  }
  ~noise_secret() { crypto::wipe(bytes_, N); }

  /// Copies exactly N bytes from `raw`; the caller checks the size first.
  static noise_secret from(byte_span raw) noexcept {
    noise_secret out;
    if (raw.size() == N)
      std::memcpy(out.bytes_, raw.data(), N);
    return out;
  }
  uint8_t* data() noexcept { return bytes_; }
  const uint8_t* data() const noexcept { return bytes_; }
  static constexpr size_t size() noexcept { return N; }
  byte_span span() const noexcept { return {bytes_, N}; }

private:
  uint8_t bytes_[N] = {};
};

/// An X25519 secret key.
using noise_secret_key = noise_secret<noise_dh_size>;

/// An X25519 keypair: a node's static identity, or an ephemeral key.
struct noise_keypair {
  noise_public_key pk;
  noise_secret_key sk;

  /// A keypair from the operating system's randomness.
  static noise_keypair generate();
  /// The keypair libsodium's crypto_box_seed_keypair derives from `seed` (simulations, tests).
  static noise_keypair from_seed(const key_seed& seed);
  /// The keypair of a given secret key (test vectors list secret keys only).
  static noise_keypair from_secret_key(const noise_secret_key& sk);
};

/// CipherState: ChaCha20-Poly1305 (IETF) with a 64-bit counter nonce. Without a key, it passes
/// plaintext through unchanged, as the spec's handshake needs.
class noise_cipher_state {
public:
  bool has_key() const noexcept { return has_key_; }
  /// InitializeKey: sets the key and resets the nonce.
  void initialize_key(const uint8_t* key) noexcept;
  uint64_t nonce() const noexcept { return n_; }
  /// SetNonce from the spec (tests, and resuming a known counter).
  void set_nonce(uint64_t n) noexcept { n_ = n; }

  /// EncryptWithAd in place: the `size` bytes at `data` become ciphertext and, with a key, the
  /// 16-byte tag is written at `data + size` (the caller leaves room). Returns the output size.
  expected<size_t> encrypt_in_place(byte_span ad, uint8_t* data, size_t size);
  /// EncryptWithAd from `plaintext` into `out` (room for plaintext + 16; may equal the input).
  expected<size_t> encrypt_into(byte_span ad, byte_span plaintext, uint8_t* out);
  /// DecryptWithAd from `ciphertext` into `out` (room for ciphertext - 16; may be the input).
  /// On failure nothing is written and the nonce does not move. Returns the plaintext size.
  expected<size_t> decrypt_into(byte_span ad, byte_span ciphertext, uint8_t* out);

private:
  noise_secret<32> k_;
  uint64_t n_ = 0;
  bool has_key_ = false;
};

/// SymmetricState: the chaining key, the handshake hash and the current cipher.
class noise_symmetric_state {
public:
  /// InitializeSymmetric(protocol_name).
  explicit noise_symmetric_state(std::string_view protocol_name);

  void mix_key(byte_span input_key_material);
  void mix_hash(byte_span data);
  /// EncryptAndHash: appends the ciphertext of `plaintext` to `out`.
  status encrypt_and_hash(byte_span plaintext, bytes& out);
  /// DecryptAndHash: appends the plaintext of `ciphertext` to `out`.
  status decrypt_and_hash(byte_span ciphertext, bytes& out);
  /// Split: the two transport ciphers (the initiator sends with the first).
  std::pair<noise_cipher_state, noise_cipher_state> split() const;

  bool has_key() const noexcept { return cs_.has_key(); }
  const noise_hash& handshake_hash() const noexcept { return h_; }

private:
  noise_cipher_state cs_;
  noise_secret<noise_hash_size> ck_;
  noise_hash h_;
};

namespace crypto {
/// HMAC-BLAKE2b (RFC 2104 with a 128-byte block), the Noise spec's HMAC-HASH.
noise_secret<noise_hash_size> hmac_blake2b(byte_span key, byte_span data) noexcept;
/// The Noise spec's HKDF with two outputs.
void noise_hkdf(byte_span chaining_key, byte_span input_key_material,
                noise_secret<noise_hash_size>& out1, noise_secret<noise_hash_size>& out2) noexcept;
} // namespace crypto

/// The two ciphers of an established session.
class noise_transport {
public:
  noise_transport() noexcept = default;
  noise_transport(noise_cipher_state send, noise_cipher_state receive, const noise_hash& hash)
    : send_(std::move(send)), receive_(std::move(receive)), hash_(hash) {}

  /// One transport message for `plaintext` (at most noise_plaintext_size_max bytes).
  expected<bytes> encrypt(byte_span plaintext);
  /// The plaintext of one transport message.
  expected<bytes> decrypt(byte_span ciphertext);
  /// Encrypts the `size` bytes at `data` in place and writes the tag after them.
  expected<size_t> encrypt_in_place(uint8_t* data, size_t size);
  /// Encrypts `plaintext` into `out` (room for plaintext + 16 bytes).
  expected<size_t> encrypt_into(byte_span plaintext, uint8_t* out);
  /// Decrypts `ciphertext` into `out` (room for ciphertext - 16 bytes; may be in place).
  expected<size_t> decrypt_into(byte_span ciphertext, uint8_t* out);

  const noise_hash& handshake_hash() const noexcept { return hash_; }
  uint64_t send_nonce() const noexcept { return send_.nonce(); }
  uint64_t receive_nonce() const noexcept { return receive_.nonce(); }
  /// SetNonce on both ciphers (tests of nonce exhaustion).
  void set_nonces(uint64_t send, uint64_t receive) noexcept;

private:
  noise_cipher_state send_;
  noise_cipher_state receive_;
  noise_hash hash_;
};

enum class noise_role : uint8_t { initiator, responder };

/// HandshakeState for the XX pattern. Call write_message and read_message in turn (the
/// initiator writes first) until complete(), then split().
class noise_handshake {
public:
  static noise_handshake initiator(const noise_keypair& static_keys, byte_span prologue);
  static noise_handshake responder(const noise_keypair& static_keys, byte_span prologue);

  /// Only for test vectors: use `ephemeral` instead of a random ephemeral key. Call before
  /// this side writes its first message.
  void inject_ephemeral_for_testing(const noise_keypair& ephemeral);

  /// The next handshake message, carrying `payload` (encrypted except in the first message).
  expected<bytes> write_message(byte_span payload);
  /// Processes the peer's next handshake message and returns its payload.
  expected<bytes> read_message(byte_span message);

  noise_role role() const noexcept { return role_; }
  /// True when this side's next step is write_message.
  bool writes_next() const noexcept;
  bool complete() const noexcept;
  bool failed() const noexcept { return failed_; }
  /// The handshake hash so far; final once complete().
  const noise_hash& handshake_hash() const noexcept { return symmetric_.handshake_hash(); }
  /// True once the peer's static key has been received and authenticated so far.
  bool has_remote_static() const noexcept { return has_rs_; }
  /// The peer's static key. Requires has_remote_static().
  const noise_public_key& remote_static() const;

  /// The transport ciphers, once: a completed handshake is spent by split().
  expected<noise_transport> split();

private:
  noise_handshake(noise_role role, const noise_keypair& static_keys, byte_span prologue);
  status write_tokens(size_t step, byte_span payload, bytes& out);
  status read_tokens(size_t step, byte_span message, bytes& payload);
  status mix_dh(const noise_secret_key& sk, const noise_public_key& pk);
  status dh_token(uint8_t token);
  size_t step_overhead(size_t step) const noexcept;
  error fail(error err);

  noise_role role_;
  noise_symmetric_state symmetric_;
  noise_keypair s_;
  noise_keypair e_;
  noise_public_key rs_;
  noise_public_key re_;
  size_t step_ = 0; ///< index of the next message in the pattern (0, 1, 2; 3 when done)
  bool has_e_ = false;
  bool has_rs_ = false;
  bool failed_ = false;
  bool split_ = false;
};

} // namespace dynfeed
