#pragma once

/// A network address: an IPv4 address and a port. Discovery hands these out (a DHT record is
/// an endpoint), datagrams are sent to them, and the simulator gives each simulated host one.
/// IPv6 is not supported yet.

#include "dynfeed/base/expected.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace dynfeed {

struct endpoint {
  uint32_t ip = 0; ///< host byte order: 127.0.0.1 is 0x7f000001
  uint16_t port = 0;

  /// "a.b.c.d:port".
  std::string to_string() const;
  /// Parses "a.b.c.d:port" (and "localhost:port"); anything else is base_errc::invalid_argument.
  static expected<endpoint> parse(std::string_view text);

  bool empty() const noexcept { return ip == 0 && port == 0; }
  /// The 48-bit value ip << 16 | port: a compact key for maps and hashes.
  uint64_t packed() const noexcept { return (uint64_t{ip} << 16) | port; }

  friend bool operator==(const endpoint& a, const endpoint& b) noexcept {
    return a.ip == b.ip && a.port == b.port;
  }
  friend bool operator!=(const endpoint& a, const endpoint& b) noexcept { return !(a == b); }
  friend bool operator<(const endpoint& a, const endpoint& b) noexcept {
    return a.packed() < b.packed();
  }
};

/// An endpoint in 6 bytes, where an endpoint takes 8 (its port padded): for the long lists of
/// addresses a node keeps per topic (a DHT node's peers found for each wanted topic).
struct packed_endpoint {
  uint8_t bytes[6] = {};

  packed_endpoint() noexcept = default;
  explicit packed_endpoint(const endpoint& e) noexcept {
    uint64_t v = e.packed();
    for (int i = 0; i < 6; ++i)
      bytes[i] = static_cast<uint8_t>(v >> (8 * i));
  }
  endpoint unpack() const noexcept {
    uint64_t v = 0;
    for (int i = 0; i < 6; ++i)
      v |= uint64_t{bytes[i]} << (8 * i);
    return endpoint{static_cast<uint32_t>(v >> 16), static_cast<uint16_t>(v)};
  }
};
static_assert(sizeof(packed_endpoint) == 6, "packed: no padding");

/// Dotted-quad text of an IPv4 address in host byte order.
std::string ipv4_to_string(uint32_t ip);

} // namespace dynfeed

template <>
struct std::hash<dynfeed::endpoint> {
  size_t operator()(const dynfeed::endpoint& e) const noexcept {
    return std::hash<uint64_t>{}(e.packed());
  }
};
