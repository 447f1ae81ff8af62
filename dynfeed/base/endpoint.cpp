#include "dynfeed/base/endpoint.hpp"

#include <charconv>

namespace dynfeed {

namespace {

/// Parses a decimal number in [0, max] that is all of `text`.
bool parse_number(std::string_view text, uint32_t max, uint32_t& out) {
  if (text.empty() || text.size() > 5)
    return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && out <= max;
}

} // namespace

namespace {

/// Writes "a.b.c.d" at `out` and returns its end. One buffer and one string per address: the
/// DHT formats every peer it reports (docs/speed.md), and concatenating std::to_string's took
/// eight strings.
char* put_ipv4(char* out, uint32_t ip) noexcept {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out = std::to_chars(out, out + 3, (ip >> shift) & 0xffu).ptr;
    if (shift != 0)
      *out++ = '.';
  }
  return out;
}

} // namespace

std::string ipv4_to_string(uint32_t ip) {
  char text[16];
  return std::string(text, put_ipv4(text, ip));
}

std::string endpoint::to_string() const {
  char text[22]; // "255.255.255.255:65535"
  char* end = put_ipv4(text, ip);
  *end++ = ':';
  end = std::to_chars(end, text + sizeof text, port).ptr;
  return std::string(text, end);
}

expected<endpoint> endpoint::parse(std::string_view text) {
  auto bad = [&] {
    return error{base_errc::invalid_argument,
                 "not an IPv4 address and port (a.b.c.d:port): " + std::string(text)};
  };
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return bad();
  endpoint e;
  uint32_t port = 0;
  if (!parse_number(text.substr(colon + 1), 65535, port))
    return bad();
  e.port = static_cast<uint16_t>(port);
  std::string_view host = text.substr(0, colon);
  if (host == "localhost") {
    e.ip = 0x7f000001;
    return e;
  }
  for (int part = 0; part < 4; ++part) {
    auto dot = part < 3 ? host.find('.') : host.size();
    if (dot == std::string_view::npos)
      return bad();
    uint32_t byte = 0;
    if (!parse_number(host.substr(0, dot), 255, byte))
      return bad();
    e.ip = (e.ip << 8) | byte;
    host = part < 3 ? host.substr(dot + 1) : std::string_view{};
  }
  return e;
}

} // namespace dynfeed
