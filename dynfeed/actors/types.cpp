#include "dynfeed/types.hpp"

#include "dynfeed/errors.hpp"

#include <charconv>

namespace dynfeed {

namespace {

caf::error bad_address(std::string_view text, const char* why) {
  return to_caf_error(error{base_errc::invalid_argument,
                            "peer address \"" + std::string{text} + "\": " + why});
}

} // namespace

caf::expected<peer_address> parse_peer_address(std::string_view text) {
  constexpr std::string_view memory_prefix = "mem:";
  if (text.substr(0, memory_prefix.size()) == memory_prefix) {
    if (text.size() == memory_prefix.size())
      return bad_address(text, "no name after mem:");
    return peer_address::memory(std::string{text.substr(memory_prefix.size())});
  }
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return bad_address(text, "expected host:port or mem:NAME");
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.empty())
    return bad_address(text, "no host before the port");
  if (host.find(':') != std::string_view::npos)
    return bad_address(text, "IPv6 addresses are not supported");
  uint16_t port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size())
    return bad_address(text, "the port is not a number from 0 to 65535");
  return peer_address::tcp(std::string{host}, port);
}

std::string to_string(const peer_address& address) {
  if (address.kind == peer_address::kind_type::memory)
    return "mem:" + address.host;
  return address.host + ":" + std::to_string(address.port);
}

} // namespace dynfeed
