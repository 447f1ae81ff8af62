#include "dynfeed/base/utf8.hpp"

namespace dynfeed {

namespace {

bool continuation(uint8_t b) noexcept {
  return (b & 0xc0) == 0x80;
}

/// The length of the sequence that starts at `lead` and the range its second byte must be in
/// (the narrower ranges exclude overlong forms, surrogates and code points past U+10FFFF);
/// 0 for a byte no sequence starts with.
size_t sequence_size(uint8_t lead, uint8_t& second_min, uint8_t& second_max) noexcept {
  second_min = 0x80;
  second_max = 0xbf;
  if (lead < 0x80)
    return 1;
  if (lead >= 0xc2 && lead <= 0xdf)
    return 2;
  if (lead >= 0xe0 && lead <= 0xef) {
    if (lead == 0xe0)
      second_min = 0xa0;
    if (lead == 0xed)
      second_max = 0x9f;
    return 3;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    if (lead == 0xf0)
      second_min = 0x90;
    if (lead == 0xf4)
      second_max = 0x8f;
    return 4;
  }
  return 0;
}

} // namespace

bool valid_utf8(byte_span text) noexcept {
  size_t i = 0;
  while (i < text.size()) {
    uint8_t second_min = 0;
    uint8_t second_max = 0;
    size_t n = sequence_size(text[i], second_min, second_max);
    if (n == 0 || text.size() - i < n)
      return false;
    if (n > 1 && (text[i + 1] < second_min || text[i + 1] > second_max))
      return false;
    for (size_t k = 2; k < n; ++k)
      if (!continuation(text[i + k]))
        return false;
    i += n;
  }
  return true;
}

} // namespace dynfeed
