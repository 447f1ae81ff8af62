#pragma once

/// The tracker protocol's packets as plain structs, and their codec (schema:
/// messages/tracker.capnp, root `TrackerPacket`). One packet is one datagram.
///
/// Like the frame codec (codec.hpp), decoding is total: any bytes give a packet or a msg_errc
/// error, never an exception or a crash, and every size is bounded by `limits` before anything
/// is copied. This header includes no Cap'n Proto header.

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/base/endpoint.hpp"
#include "dynfeed/base/expected.hpp"
#include "dynfeed/messages/codec.hpp"
#include "dynfeed/messages/limits.hpp"
#include "dynfeed/messages/tracker_limits.hpp"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace dynfeed::msg::tracker {

/// Why a server answered a request with an error packet.
enum class error_code : uint16_t {
  invalid_request = 1, ///< the request decodes but breaks the protocol (an announce of port 0)
  bad_token,           ///< the announce's token is missing, forged, for another address or old
  storage_full,        ///< the record does not fit: its source's quota, the topic or the server
};
const char* to_string(error_code code) noexcept;

/// client -> server: the peers of `topic`, and a token to announce it.
struct lookup {
  hash256 topic;
  uint16_t port = 0; ///< the asker's own announced port: its record is left out; 0: none
};

/// server -> client: up to the server's maximum of the topic's peers (source address and
/// announced port), and a token for announces from the asker's address.
struct lookup_reply {
  std::vector<endpoint> peers;
  bytes token;
  uint32_t observed_ip = 0; ///< the asker's address as the server saw it
};

/// client -> server: add (or refresh) the record "sender's address : port" for `topic`.
struct announce {
  hash256 topic;
  uint16_t port = 0;
  bytes token;
};

/// server -> client: the announce is stored.
struct announce_reply {};

/// server -> client: the request was refused.
struct error_reply {
  uint16_t code = 0; ///< an error_code
  std::string message;
};

using body = std::variant<lookup, lookup_reply, announce, announce_reply, error_reply>;

struct packet {
  /// Chosen (at random) by the client for each request and echoed in the reply.
  uint64_t transaction = 0;
  body what;
};

/// The exact size of encode(p), computed without encoding it.
size_t encoded_size(const packet& p);

/// Encodes `p` as one datagram (a single-segment Cap'n Proto message). Requires fewer than 2^29
/// peers and token or message bytes (Cap'n Proto's list limit); the sender keeps its packets
/// within datagram_size_max.
bytes encode(const packet& p);
void encode(const packet& p, bytes& out);

/// Decodes one datagram, checking it against `lim`. Works at any alignment of `datagram`.
expected<packet> decode(byte_span datagram, const limits& lim = {});

} // namespace dynfeed::msg::tracker
