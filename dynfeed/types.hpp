#pragma once

/// The typed values of dynfeed's API: keys, seeds, feed modes and ID channels, peer addresses,
/// signed values,
/// and how CAF carries them in messages. Hex and mode names are parsed only at the edges (the
/// command line, scenario files): fixed_from_hex<public_key> (dynfeed/base/hex.hpp),
/// parse_feed_mode and parse_id_channels.

#include <dynfeed/base/bytes.hpp>
#include <dynfeed/base/hex.hpp>
#include <dynfeed/crypto/crypto.hpp>
#include <dynfeed/feed/feed_mode.hpp>
#include <dynfeed/feed/signed_value.hpp>

#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace dynfeed {

/// Where a node reaches another node: over TCP ("host:port", host a name or an IPv4 address)
/// or in-process ("mem:NAME", a node of the same memory_network).
struct peer_address {
  enum class kind_type : uint8_t { tcp = 0, memory };
  kind_type kind = kind_type::tcp;
  std::string host; ///< tcp: the host; memory: the node's name
  uint16_t port = 0; ///< tcp only; 0 when listening: any free port

  static peer_address tcp(std::string host, uint16_t port) {
    return {kind_type::tcp, std::move(host), port};
  }
  static peer_address memory(std::string name) {
    return {kind_type::memory, std::move(name), 0};
  }
  friend bool operator==(const peer_address& a, const peer_address& b) {
    return a.kind == b.kind && a.host == b.host && a.port == b.port;
  }
  friend bool operator!=(const peer_address& a, const peer_address& b) { return !(a == b); }
};

/// Parses "host:port" or "mem:NAME"; anything else is base_errc::invalid_argument, with the
/// text and what is wrong with it.
caf::expected<peer_address> parse_peer_address(std::string_view text);

/// "host:port" or "mem:NAME": what parse_peer_address reads back.
std::string to_string(const peer_address& address);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_address& x) {
  return f(caf::meta::type_name("peer_address"), x.kind, x.host, x.port);
}

template <class Inspector, size_t N, class Tag>
typename Inspector::result_type inspect(Inspector& f, fixed_bytes<N, Tag>& x) {
  return f(caf::meta::type_name("fixed_bytes"), x.bytes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, id_channels& x) {
  return f(caf::meta::type_name("id_channels"), x.bits);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, value_signature& x) {
  return f(caf::meta::type_name("value_signature"), x.signer, x.sig);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, signed_value& x) {
  return f(caf::meta::type_name("signed_value"), x.seq, x.value, x.sigs);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, value_feed_def& x) {
  return f(caf::meta::type_name("value_feed_def"), x.threshold, x.signers, x.salt, x.format);
}

} // namespace dynfeed
