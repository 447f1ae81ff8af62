#pragma once

/// Discovery: how a swarm finds the nodes that share its topic. Two backends sit behind one
/// interface, a Kademlia DHT (proto/dht.hpp) and a tracker (proto/tracker.hpp); both are
/// datagram components that take these local messages from swarms:
///
///   swarm -> discovery: find_peers{topic, announce}  (look up now and periodically; announce
///                                                      this node's address for the topic)
///   discovery -> swarm: peers_found{topic, addresses} (as lookups find them)
///   swarm -> discovery: stop_finding{topic}
///
/// Every discovery message is counted (discovery_stats): per operation, per topic and in bytes,
/// so that simulations can report the load that updates put on the discovery system.

#include "dynfeed/base/endpoint.hpp"
#include "dynfeed/crypto/crypto.hpp"
#include "dynfeed/component/datagram.hpp"

#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_map>

namespace dynfeed {

/// Every kind of discovery request. DHT and tracker share the enumeration so that reports can
/// put them side by side.
enum class discovery_op : uint8_t {
  ping = 0,      ///< DHT: is this node alive (and what is its ID)
  find_node,     ///< DHT: the closest nodes to a target
  get_peers,     ///< DHT: peers of a topic, or closer nodes (and a write token)
  announce,      ///< DHT: store this node as a peer of a topic (needs a token)
  get_value,     ///< DHT: the signed value stored for a target
  put_value,     ///< DHT: store a signed value (needs a token)
  tracker_lookup,   ///< tracker: peers of a topic (and a write token)
  tracker_announce, ///< tracker: add this node to a topic (needs a token)
};
inline constexpr size_t discovery_op_count = 8;
std::string_view to_string(discovery_op op) noexcept;

/// Counters of one operation at one node.
struct op_counters {
  uint64_t queries_sent = 0;
  uint64_t responses_received = 0;
  uint64_t timeouts = 0;          ///< queries that got no response in time
  uint64_t errors_received = 0;   ///< error responses (bad token, refused value, ...)
  uint64_t queries_received = 0;
  uint64_t responses_sent = 0;
  uint64_t errors_sent = 0;
};

/// Refused input, by reason: none of it changes anything.
struct discovery_refusals {
  uint64_t malformed = 0;      ///< datagrams that do not decode, or break the protocol
  uint64_t unsolicited = 0;    ///< responses to no query of ours (unknown id, wrong sender)
  uint64_t rate_limited = 0;   ///< queries over a source's rate limit
  uint64_t bad_token = 0;      ///< announces and puts with a token the node did not give
  uint64_t storage_full = 0;   ///< records refused because their source used its quota
  uint64_t bad_value = 0;      ///< puts the signed value rules refused
};

struct discovery_stats {
  std::array<op_counters, discovery_op_count> ops{};
  discovery_refusals refused;
  uint64_t datagrams_sent = 0;
  uint64_t datagrams_received = 0;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  /// Messages (sent and received) about each topic: lookups and announces of it.
  std::unordered_map<hash256, uint64_t> by_topic;
  /// Iterative lookups finished, and the hops they took (rounds of queries until the closest
  /// nodes stopped improving), for the DHT; one round each for the tracker.
  uint64_t lookups = 0;
  uint64_t lookup_hops = 0;
  uint64_t lookup_hops_max = 0;
  /// Records stored for others right now (peer records and values).
  uint64_t records_held = 0;

  /// Adds another node's (or lifetime's) counters: sums, and the larger hop maximum. Leaves
  /// by_topic alone.
  void add(const discovery_stats& other);

  op_counters& operator[](discovery_op op) { return ops[static_cast<size_t>(op)]; }
  const op_counters& operator[](discovery_op op) const { return ops[static_cast<size_t>(op)]; }
};

/// A discovery backend as the node and the simulator see it.
///
/// A find_peers for a topic its sender already follows asks for a fresh lookup: a swarm sends
/// it when every address it was given has failed. Backends honour it at most once per
/// `refresh_min` (their config) per topic, and otherwise keep their own rhythm.
class discovery_component : public datagram_component {
public:
  virtual const discovery_stats& stats() const = 0;
  /// The port this node accepts connections on (its TCP port), known once it listens: what
  /// announces carry from now on (0: nothing to announce). Topics that some component wants
  /// announced are announced at once. Backends that announce nothing ignore it.
  virtual void set_announce_port(context& /*ctx*/, uint16_t /*port*/) {}
};

} // namespace dynfeed
