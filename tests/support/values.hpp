#pragma once

/// Small helpers for the signed value tests.

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/crypto/crypto.hpp"

#include <string_view>

namespace dynfeed::test {

/// The keypair of a seed of 32 bytes `n`: a distinct, repeatable key per number.
inline keypair key_number(uint8_t n) {
  key_seed seed;
  seed.bytes.fill(n);
  return crypto::keypair_from_seed(seed);
}

/// The bytes of `s`.
inline bytes text(std::string_view s) {
  return byte_span{s}.to_bytes();
}

} // namespace dynfeed::test
