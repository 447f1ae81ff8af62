#pragma once

/// The DHT's RPCs (proto/dht.hpp) as plain structs: what one DHT node sends another in a
/// datagram. dht_codec.hpp turns them into Cap'n Proto (messages/dht.capnp) and back.
///
/// Every datagram is a dht_rpc: a transaction number the querier picks at random and the
/// response repeats, the sender's node ID, and one query or one response. Node IDs, topics and
/// value targets are all points of one 256-bit key space, compared by XOR distance.

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/base/endpoint.hpp"
#include "dynfeed/feed/signed_value.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace dynfeed::msg {

/// A DHT node as others learn of it: its ID and where it answers.
struct dht_node {
  hash256 id;
  endpoint address;

  friend bool operator==(const dht_node& a, const dht_node& b) noexcept {
    return a.id == b.id && a.address == b.address;
  }
};

/// A signed value with the definition of its feed: the definition's id() is its DHT target,
/// and a reader needs it to verify the signatures.
struct dht_value {
  value_feed_def def;
  signed_value value;

  friend bool operator==(const dht_value& a, const dht_value& b) noexcept {
    return a.def == b.def && a.value == b.value;
  }
};

// ---- queries ---------------------------------------------------------------------------------

/// Is the node alive, and what is its ID? Answered with dht_ack.
struct dht_ping {};

/// The nodes closest to `target` that the responder knows. Answered with dht_nodes.
struct dht_find_node {
  hash256 target;
};

/// Peers of `topic`, and the nodes closest to it. Answered with dht_peers, whose token lets the
/// querier announce.
struct dht_get_peers {
  hash256 topic;
};

/// "Store me as a peer of `topic`": the responder records the datagram's source address with
/// `port`. Needs a token from the responder's dht_peers. Answered with dht_ack or dht_error.
struct dht_announce {
  hash256 topic;
  uint16_t port = 0;
  bytes token;
};

/// The value stored for `target` (a value feed's id()), and the nodes closest to it. Answered
/// with dht_value_response, whose token lets the querier put.
struct dht_get_value {
  hash256 target;
};

/// Store a signed value under value.def.id(). Needs a token from the responder's
/// dht_value_response. Answered with dht_ack, or dht_error with a BEP 44 code.
struct dht_put_value {
  dht_value item;
  std::optional<uint64_t> cas; ///< the seq the sender expects the responder to hold
  bytes token;
};

// ---- responses -------------------------------------------------------------------------------

/// To a ping, and to an announce or a put that was stored.
struct dht_ack {};

/// To find_node.
struct dht_nodes {
  std::vector<dht_node> nodes;
};

/// To get_peers.
struct dht_peers {
  bytes token;
  std::vector<endpoint> peers;
  std::vector<dht_node> nodes;
};

/// To get_value.
struct dht_value_response {
  bytes token;
  std::vector<dht_node> nodes;
  std::optional<dht_value> item; ///< none: the responder holds no value for the target
};

/// To a query that was refused: BEP 5's codes (201 generic, 202 server, 203 protocol) or
/// BEP 44's (205, 206, 207, 301, 302), and a message for logs.
struct dht_error {
  uint16_t code = 0;
  std::string message;
};

using dht_body = std::variant<dht_ping, dht_find_node, dht_get_peers, dht_announce, dht_get_value,
                              dht_put_value, dht_ack, dht_nodes, dht_peers, dht_value_response,
                              dht_error>;

/// True for the queries (the alternatives before dht_ack).
inline bool is_query(const dht_body& body) noexcept {
  return body.index() < std::variant_size_v<dht_body> - 5;
}

struct dht_rpc {
  uint64_t transaction = 0;
  hash256 sender;
  dht_body body;
};

/// BEP 5's error codes as this DHT uses them (BEP 44's come from bep44_code()).
namespace dht_code {
inline constexpr uint16_t generic = 201;
inline constexpr uint16_t server = 202;   ///< the responder cannot store more (storage full)
inline constexpr uint16_t protocol = 203; ///< a bad token, an announce of port 0
} // namespace dht_code

} // namespace dynfeed::msg
