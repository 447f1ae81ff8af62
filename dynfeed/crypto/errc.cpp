#include "dynfeed/crypto/errc.hpp"

namespace dynfeed {

namespace {

const char* describe_crypto(uint8_t code) noexcept {
  switch (static_cast<crypto_errc>(code)) {
    case crypto_errc::bad_secret_key:
      return "secret key does not match the public key";
    case crypto_errc::bad_signature:
      return "signature does not verify";
  }
  return "unknown error";
}

} // namespace

const error_category& category_of(crypto_errc) noexcept {
  static const error_category cat{"crypto", describe_crypto};
  return cat;
}

} // namespace dynfeed
