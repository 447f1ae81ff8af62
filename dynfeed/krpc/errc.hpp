#pragma once

#include "dynfeed/base/error.hpp"

#include <cstdint>

namespace dynfeed::krpc {

/// Why a datagram is not a KRPC message this node accepts. The context names the offset or the
/// key and the reason ("at byte 12: an integer with a leading zero", "r.nodes: 27 bytes, not a
/// multiple of 26").
enum class krpc_errc : uint8_t {
  invalid_bencode = 1, ///< not exactly one canonical bencoded object
  limit_exceeded,      ///< bencode or datagram beyond a limit (nesting, size, items)
  missing_key,         ///< a key the message's kind requires is absent
  bad_value,           ///< a known key with the wrong type, size or range
};
const error_category& category_of(krpc_errc) noexcept;

} // namespace dynfeed::krpc
