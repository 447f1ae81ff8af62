#include "dynfeed/channel/errc.hpp"

namespace dynfeed {

namespace {

const char* describe_channel(uint8_t code) noexcept {
  switch (static_cast<channel_errc>(code)) {
    case channel_errc::message_too_short:
      return "transport message shorter than its tag";
    case channel_errc::frame_too_large:
      return "received frame too large";
    case channel_errc::handshake_payload_too_large:
      return "handshake payload too large";
    case channel_errc::cleartext_payload:
      return "first handshake message carries a payload";
    case channel_errc::channel_failed:
      return "channel failed earlier";
    case channel_errc::send_frame_too_large:
      return "frame to send too large";
    case channel_errc::output_full:
      return "output buffer full";
  }
  return "unknown error";
}

} // namespace

const error_category& category_of(channel_errc) noexcept {
  static const error_category cat{"channel", describe_channel};
  return cat;
}

} // namespace dynfeed
