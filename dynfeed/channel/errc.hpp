#pragma once

#include "dynfeed/base/error.hpp"

#include <cstdint>

namespace dynfeed {

enum class channel_errc : uint8_t {
  message_too_short = 1,      ///< a transport message shorter than its 16-byte tag
  frame_too_large,            ///< a received frame declares more than frame_size_max bytes
  handshake_payload_too_large,///< the peer's handshake payload exceeds its limit
  cleartext_payload,          ///< the first handshake message carries an (unencrypted) payload
  channel_failed,             ///< the channel failed earlier and refuses everything
  send_frame_too_large,       ///< not fatal: a frame to send exceeds frame_size_max
  output_full,                ///< not fatal: output_buffer_max reached; write the output first
};
const error_category& category_of(channel_errc) noexcept;

} // namespace dynfeed
