#pragma once

#include "dynfeed/base/error.hpp"

#include <cstdint>

namespace dynfeed::msg {

/// Why a frame was refused.
enum class msg_errc : uint8_t {
  malformed = 1,  ///< not a valid Cap'n Proto message or Frame: bad pointers, wrong pointer
                  ///< kinds, text without its terminator, bytes after the message, no message
  truncated,      ///< the frame ends before the message its segment table announces
  too_large,      ///< the frame exceeds frame_size_max
  wrong_size,     ///< a fixed-size field (hash: 32 bytes, signature: 64) has another length
  unknown_kind,   ///< a Frame member this build does not know (a newer peer's message)
  local_only,     ///< a component-local message where a peer's frame was expected
  limit_exceeded, ///< a segment count, nesting depth, traversal, list length, value size or text
                  ///< size exceeds its codec_limits maximum
};
const error_category& category_of(msg_errc) noexcept;

} // namespace dynfeed::msg
