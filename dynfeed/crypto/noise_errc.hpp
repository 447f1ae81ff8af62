#pragma once

#include "dynfeed/base/error.hpp"

#include <cstdint>

namespace dynfeed {

/// A Noise failure caused by input (or, for the last codes, by the state the caller is in).
enum class noise_errc : uint8_t {
  message_too_long = 1, ///< a message over 65535 bytes, or a payload that would make one
  message_too_short,    ///< a message shorter than the keys and tags its step carries
  out_of_turn,          ///< writing on the peer's turn, reading on ours, or after the end
  handshake_incomplete, ///< split() before the last handshake message
  handshake_failed,     ///< an earlier step failed: a failed handshake refuses everything
  decrypt_failed,       ///< authentication failed: tampered, truncated, replayed, wrong prologue
  bad_dh,               ///< X25519 gave all zeros: the peer sent a low-order public key
  nonce_exhausted,      ///< the cipher has used every nonce below 2^64 - 1
};
const error_category& category_of(noise_errc) noexcept;

} // namespace dynfeed
