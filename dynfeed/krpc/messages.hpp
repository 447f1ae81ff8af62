#pragma once

/// Mainline DHT messages (KRPC, BEP 5; BEP 44 get/put; BEP 42's `ip`; BEP 43's `ro`) as plain
/// structs. krpc/codec.hpp turns them into bencoded datagrams and back; discovery/dht.hpp sends
/// and answers them.
///
/// A KRPC datagram is a bencoded dictionary: a transaction ID `t` (a short string the querier
/// picks and the responder echoes), a type `y` ("q", "r" or "e") and, for a query, the method `q`
/// with arguments `a`, for a response the values `r`, for an error `e` = [code, message].
/// A response does not name the method it answers: the querier knows it from the transaction.
/// So a response decodes into one struct whose fields are all optional, and the DHT reads the
/// ones the pending query's method defines.

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/base/endpoint.hpp"
#include "dynfeed/crypto/crypto.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace dynfeed {

struct node_id_tag {};
/// A point of Mainline's 160-bit key space: node IDs, info-hashes and BEP 44 targets, compared
/// by XOR distance.
using node_id = fixed_bytes<20, node_id_tag>;

} // namespace dynfeed

namespace dynfeed::krpc {

/// A DHT node as others learn of it ("compact node info": 20-byte ID, 4-byte IPv4, 2-byte port).
struct node_info {
  node_id id;
  endpoint address;

  friend bool operator==(const node_info& a, const node_info& b) noexcept {
    return a.id == b.id && a.address == b.address;
  }
};

// ---- queries (`y` = "q") ------------------------------------------------------------------------

struct ping {
  friend bool operator==(const ping&, const ping&) noexcept { return true; }
};

struct find_node {
  node_id target;

  friend bool operator==(const find_node& a, const find_node& b) noexcept {
    return a.target == b.target;
  }
};

struct get_peers {
  node_id info_hash;

  friend bool operator==(const get_peers& a, const get_peers& b) noexcept {
    return a.info_hash == b.info_hash;
  }
};

/// BEP 5: "store the sender as a peer of info_hash". With implied_port the responder records the
/// datagram's source port instead of `port` (for senders behind NAT).
struct announce_peer {
  node_id info_hash;
  uint16_t port = 0;
  bool implied_port = false;
  bytes token;

  friend bool operator==(const announce_peer& a, const announce_peer& b) noexcept {
    return a.info_hash == b.info_hash && a.port == b.port && a.implied_port == b.implied_port
           && a.token == b.token;
  }
};

/// BEP 44 get: the item stored under target = SHA-1(k || salt) for a mutable item, SHA-1(v) for
/// an immutable one. With `seq`, a responder holding a mutable item of seq <= this one may leave
/// out v, k and sig (the asker has it already).
struct get {
  node_id target;
  std::optional<int64_t> seq;

  friend bool operator==(const get& a, const get& b) noexcept {
    return a.target == b.target && a.seq == b.seq;
  }
};

/// BEP 44 put of an immutable item: `v` only (its target is SHA-1(v)).
struct immutable_put {
  bytes v; ///< the value exactly as bencoded on the wire

  friend bool operator==(const immutable_put& a, const immutable_put& b) noexcept {
    return a.v == b.v;
  }
};

/// BEP 44 put of a mutable item.
struct mutable_put {
  public_key k;
  bytes salt; ///< empty: none (and then not sent)
  int64_t seq = 0;
  bytes v;    ///< the value exactly as bencoded on the wire
  signature sig;
  std::optional<int64_t> cas;

  friend bool operator==(const mutable_put& a, const mutable_put& b) noexcept {
    return a.k == b.k && a.salt == b.salt && a.seq == b.seq && a.v == b.v && a.sig == b.sig
           && a.cas == b.cas;
  }
};

struct put {
  std::variant<immutable_put, mutable_put> item;
  bytes token;

  friend bool operator==(const put& a, const put& b) noexcept {
    return a.item == b.item && a.token == b.token;
  }
};

/// A query whose method this node does not serve (answered with error 204, "method unknown").
struct unknown_query {
  std::string method;

  friend bool operator==(const unknown_query& a, const unknown_query& b) noexcept {
    return a.method == b.method;
  }
};

using query = std::variant<ping, find_node, get_peers, announce_peer, get, put, unknown_query>;

// ---- responses (`y` = "r") ---------------------------------------------------------------------

/// Every field a response to any method may carry; `id` is the message's sender.
struct response {
  std::vector<node_info> nodes;  ///< `nodes`: compact node infos (find_node, get_peers, get)
  std::optional<bytes> token;    ///< `token` (get_peers, get)
  std::vector<endpoint> values;  ///< `values`: compact peer infos (get_peers)
  std::optional<bytes> v;        ///< `v`: an item's value as bencoded on the wire (get)
  std::optional<public_key> k;   ///< `k` (get of a mutable item)
  std::optional<int64_t> seq;    ///< `seq` (get of a mutable item)
  std::optional<signature> sig;  ///< `sig` (get of a mutable item)

  friend bool operator==(const response& a, const response& b) noexcept {
    return a.nodes == b.nodes && a.token == b.token && a.values == b.values && a.v == b.v
           && a.k == b.k && a.seq == b.seq && a.sig == b.sig;
  }
};

// ---- errors (`y` = "e") ------------------------------------------------------------------------

/// `e`: [code, message]. BEP 5: 201 generic, 202 server, 203 protocol, 204 method unknown;
/// BEP 44: 205 value too big, 206 invalid signature, 207 salt too big, 301 CAS mismatch,
/// 302 seq not newer.
struct error_reply {
  int64_t code = 0;
  std::string message;

  friend bool operator==(const error_reply& a, const error_reply& b) noexcept {
    return a.code == b.code && a.message == b.message;
  }
};

namespace code {
inline constexpr int64_t generic = 201;
inline constexpr int64_t server = 202;
inline constexpr int64_t protocol = 203;
inline constexpr int64_t method_unknown = 204;
} // namespace code

using body = std::variant<query, response, error_reply>;

/// One datagram.
struct message {
  bytes transaction;             ///< `t`: echoed as received (any length the limits allow)
  /// `a.id` / `r.id`: the sender. Errors carry none (all zero then).
  node_id sender;
  body content;
  /// `ip` (BEP 42): in a response, the querier's address as the responder saw it.
  std::optional<endpoint> ip;
  bool read_only = false;        ///< `ro` = 1 (BEP 43): the sender answers no queries
  std::optional<bytes> version;  ///< `v` at the top level: a client's name and version

  friend bool operator==(const message& a, const message& b) noexcept {
    return a.transaction == b.transaction && a.sender == b.sender && a.content == b.content
           && a.ip == b.ip && a.read_only == b.read_only && a.version == b.version;
  }
  friend bool operator!=(const message& a, const message& b) noexcept { return !(a == b); }
};

inline bool is_query(const message& m) noexcept { return m.content.index() == 0; }

} // namespace dynfeed::krpc
