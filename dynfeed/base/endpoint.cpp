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

std::string ipv4_to_string(uint32_t ip) {
  return std::to_string(ip >> 24) + '.' + std::to_string((ip >> 16) & 0xff) + '.'
         + std::to_string((ip >> 8) & 0xff) + '.' + std::to_string(ip & 0xff);
}

std::string endpoint::to_string() const {
  return ipv4_to_string(ip) + ':' + std::to_string(port);
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
