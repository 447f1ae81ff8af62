#pragma once

#include "dynfeed/base/error.hpp"

#include <cstdint>

namespace dynfeed {

/// Why an offered value was refused. Every code leaves the held value as it was.
enum class value_errc : uint8_t {
  value_too_large = 1,   ///< the value exceeds value_limits::value_size_max
  salt_too_large,        ///< the salt exceeds value_limits::salt_size_max
  stale_seq,             ///< a seq lower than the held one
  replayed,              ///< the held seq with the held value again: nothing new
  bad_signature,         ///< a signature does not verify
  not_enough_signatures, ///< fewer signatures than the feed's threshold
  unknown_signer,        ///< a signature names a signer index the feed does not list
  duplicate_signer,      ///< two signatures name the same signer
  cas_mismatch,          ///< the held seq is not the one the sender expected (put_options::cas)
  rejected,              ///< the user-supplied validate function refused the value
  equivocation,          ///< the held seq with another validly signed value (kept as proof)
  malformed,             ///< a feed definition that cannot be used (threshold 0 or > N, ...)
  seq_out_of_range,      ///< a BEP 44 seq outside [0, 2^63-1]
  invalid_bencode,       ///< a BEP 44 value that is not exactly one valid bencoded object
};
const error_category& category_of(value_errc) noexcept;

} // namespace dynfeed
