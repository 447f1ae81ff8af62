#pragma once

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/base/expected.hpp"

#include <string>
#include <string_view>

namespace dynfeed {

/// Lowercase hex of `data`.
std::string to_hex(byte_span data);

/// Parses hex (either case). Fails on odd length or a non-hex character.
expected<bytes> from_hex(std::string_view text);

/// Parses exactly `N` bytes of hex into a fixed-size value.
template <class Fixed>
expected<Fixed> fixed_from_hex(std::string_view text) {
  auto raw = from_hex(text);
  if (!raw)
    return raw.error();
  if (raw->size() != Fixed::size())
    return error{base_errc::invalid_argument,
                 "expected " + std::to_string(Fixed::size() * 2) + " hex digits, got "
                   + std::to_string(text.size())};
  return Fixed::from(*raw);
}

template <size_t N, class Tag>
std::string to_hex(const fixed_bytes<N, Tag>& v) {
  return to_hex(v.span());
}

} // namespace dynfeed
