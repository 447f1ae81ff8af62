#pragma once

#include "dynfeed/base/bytes.hpp"

namespace dynfeed {

/// True if `text` is well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates (U+D800 to
/// U+DFFF), nothing above U+10FFFF, no truncated sequence. What may be shown or put in JSON as
/// text; anything else stays bytes (hex).
bool valid_utf8(byte_span text) noexcept;

} // namespace dynfeed
