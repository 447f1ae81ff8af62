#include "dynfeed/crypto/noise_errc.hpp"

namespace dynfeed {

namespace {

const char* describe_noise(uint8_t code) noexcept {
  switch (static_cast<noise_errc>(code)) {
    case noise_errc::message_too_long:
      return "message longer than 65535 bytes";
    case noise_errc::message_too_short:
      return "message too short";
    case noise_errc::out_of_turn:
      return "handshake message out of turn";
    case noise_errc::handshake_incomplete:
      return "handshake not complete";
    case noise_errc::handshake_failed:
      return "handshake failed earlier";
    case noise_errc::decrypt_failed:
      return "message does not authenticate";
    case noise_errc::bad_dh:
      return "low-order public key";
    case noise_errc::nonce_exhausted:
      return "nonce exhausted";
  }
  return "unknown error";
}

} // namespace

const error_category& category_of(noise_errc) noexcept {
  static const error_category cat{"noise", describe_noise};
  return cat;
}

} // namespace dynfeed
