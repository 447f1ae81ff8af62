#pragma once

/// Helpers shared by the Noise and secure channel tests.

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/base/random.hpp"
#include "dynfeed/crypto/noise.hpp"

#include <string>

namespace dynfeed::test {

/// A static keypair derived from a small number, so that every run uses the same identities.
inline noise_keypair test_keys(uint8_t n) {
  key_seed seed;
  seed.bytes[0] = n;
  return noise_keypair::from_seed(seed);
}

inline std::string to_text(const bytes& b) {
  return std::string(b.begin(), b.end());
}

/// `size` bytes that differ from one seed to the next and one position to the next, so that a
/// misplaced or duplicated chunk shows.
inline bytes pattern_bytes(size_t size, uint64_t seed) {
  rng random{seed + 1};
  bytes out(size);
  size_t i = 0;
  for (; i + 8 <= size; i += 8)
    store_u64le(out.data() + i, random.next());
  for (; i < size; ++i)
    out[i] = static_cast<uint8_t>(random.next());
  return out;
}

} // namespace dynfeed::test
