#include "dynfeed/base/hex.hpp"

namespace dynfeed {

namespace {

int nibble(char c) noexcept {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

} // namespace

std::string to_hex(byte_span data) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.resize(data.size() * 2);
  for (size_t i = 0; i < data.size(); ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 0xf];
  }
  return out;
}

expected<bytes> from_hex(std::string_view text) {
  if (text.size() % 2 != 0)
    return error{base_errc::invalid_argument, "hex has an odd number of digits"};
  bytes out(text.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(text[2 * i]);
    int lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return error{base_errc::invalid_argument,
                   "not a hex digit at position " + std::to_string(hi < 0 ? 2 * i : 2 * i + 1)};
    out[i] = static_cast<uint8_t>((hi << 4) | lo);
  }
  return out;
}

} // namespace dynfeed
