#pragma once

#include "dynfeed/base/error.hpp"

#include <cstdint>

namespace dynfeed {

/// A crypto failure that comes from input, such as a secret key that does not match.
enum class crypto_errc : uint8_t {
  bad_secret_key = 1, ///< the secret key does not belong to the public key
  bad_signature,      ///< a signature does not verify
};
const error_category& category_of(crypto_errc) noexcept;

} // namespace dynfeed
