#pragma once

/// Every message dynfeed components exchange, as plain structs: peer to peer over a connection
/// (the wire protocol) and component to component inside a node. The codec (codec.hpp) turns
/// them into Cap'n Proto frames and back; nothing outside messages/ sees capnp.
///
/// Conventions: `channel` numbers a feed opened on one connection (chosen by the side that opens
/// it); `id` numbers a request, unique per channel and side while it is outstanding.

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/crypto/crypto.hpp"
#include "dynfeed/feed/equivocation.hpp"
#include "dynfeed/feed/proof.hpp"
#include "dynfeed/feed/signed_value.hpp"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace dynfeed::msg {

/// The wire protocol version this build speaks; carried in `hello`.
inline constexpr uint16_t protocol_version = 1;

/// Why a connection ended; sent in `bye` and reported to the swarm.
enum class disconnect_reason : uint16_t {
  normal = 0,          ///< no longer needed (swarm left, node shutting down)
  protocol_version,    ///< the remote speaks another protocol version
  malformed_frame,     ///< a frame that does not decode, or breaks the codec's limits
  unexpected_message,  ///< a message out of order or on a channel that is not open
  bad_capability,      ///< the remote opened a feed without proving it knows the key
  invalid_proof,       ///< data that does not verify
  unsolicited_data,    ///< data nobody asked for
  timeout,             ///< the remote stopped answering
  too_many_channels,   ///< more open channels than channels_max
  transport_error,     ///< the transport failed (handshake, socket, decryption)
  shutting_down,       ///< the node is stopping
  too_many_peers,      ///< the node has as many connections as it takes
  setup_backlog,       ///< more frames waited for a connection being set up than it holds
};
const char* to_string(disconnect_reason reason) noexcept;
/// The reason's identifier ("setup_backlog"): a key for counters in JSON and stats.
const char* name_of(disconnect_reason reason) noexcept;

/// Why a responder sends no_data.
enum class no_data_reason : uint16_t {
  not_held = 1,    ///< the responder does not hold the blocks or nodes
  invalid_request, ///< the request is malformed or out of range
  fork_mismatch,
};

// ---- wire: peer to peer ------------------------------------------------------------------

/// First frame each side sends after the encrypted handshake.
struct hello {
  uint16_t version = protocol_version;
  uint32_t frame_size_max = 0; ///< the largest frame the sender accepts
  std::string user_agent;      ///< for logs only
  /// The port the sender accepts connections on, at the address its connection comes from
  /// (an inbound connection's own port is ephemeral); 0: it accepts none.
  uint16_t listen_port = 0;
};

/// Why a side ends the connection; the last frame it sends.
struct bye {
  uint16_t code = 0; ///< a disconnect_reason
  std::string reason;
  /// With too_many_peers: addresses ("a.b.c.d:port") of the sender's peers that the dialler
  /// may try instead, at most referrals_max (messages/limits.hpp), each a canonical address.
  std::vector<std::string> referrals;
};

/// Opens a channel for the feed whose discovery key is given. The capability proves the sender
/// knows the feed's public key without revealing it (Hypercore's replication capability).
struct open_channel {
  uint32_t channel = 0;
  hash256 discovery_key;
  hash256 capability;
};

struct close_channel {
  uint32_t channel = 0;
};

/// "I hold the writer's signed tree at this length": sent on open and whenever it grows.
/// holds_id: the sender holds a signed ID of the feed (the relay channel's); a peer that holds
/// one and has not told it yet does so.
struct sync {
  uint32_t channel = 0;
  uint64_t fork = 0;
  uint64_t length = 0;
  bool holds_id = false;
};

/// "I hold (or, with drop, no longer hold) blocks [start, start + length)".
struct range {
  uint32_t channel = 0;
  uint64_t start = 0;
  uint64_t length = 0;
  bool drop = false;
};

struct request {
  uint32_t channel = 0;
  uint64_t id = 0;
  proof_request body;
};

struct data {
  uint32_t channel = 0;
  uint64_t id = 0;
  proof body;
};

/// The responder cannot answer request `id` (it lacks the blocks, or the request is invalid).
struct no_data {
  uint32_t channel = 0;
  uint64_t id = 0;
  uint16_t reason = 0;
};

struct cancel {
  uint32_t channel = 0;
  uint64_t id = 0;
};

/// A signed value on a value feed's channel: sent when the channel opens (the latest held) and
/// whenever a newer one arrives. Receivers keep only values newer than theirs and relay those.
struct value_push {
  uint32_t channel = 0;
  signed_value value;
};

/// The relay ID channel: a signed ID announcement of the feed open on `channel` (rotating
/// modes), pushed when the channel opens and relayed whenever a newer one is accepted. The
/// receiver has it checked like any signed value before it moves or relays anything.
struct id_push {
  uint32_t channel = 0;
  signed_value value;
};

/// "The writer of this feed signed two trees that cannot both be true": sent on the feed's
/// channel to every peer once a node holds the proof, so that they stop following it too
/// without meeting the second history themselves.
struct equivocation {
  uint32_t channel = 0;
  equivocation_proof proof;
};

using wire_message = std::variant<hello, bye, open_channel, close_channel, sync, range, request,
                                  data, no_data, cancel, value_push, id_push, equivocation>;

// ---- local: component to component inside one node ----------------------------------------
//
// Wire frames between a peer and a feed service travel as they are: the peer forwards what the
// remote sent, and transmits what the feed service built (with the channel number the peer gave
// it), so a data frame is encoded once and never copied into another message.

/// peer -> node: the remote opened a channel for this discovery key; who serves it?
struct find_feed {
  hash256 discovery_key;
  uint16_t listen_port = 0; ///< the remote's hello: where it accepts connections (0: nowhere)
};

/// node -> peer: nobody here serves that discovery key.
struct feed_unknown {
  hash256 discovery_key;
};

/// node or swarm -> feed service: replicate with this peer (open the feed on its connection).
struct offer_peer {
  uint64_t peer = 0; ///< the peer component
};

/// feed service -> peer: open (or accept) a channel for me on your connection.
struct attach {
  public_key key;
  hash256 discovery_key;
};

/// feed service -> peer: close my channel.
struct detach {
  hash256 discovery_key;
};

/// peer -> feed service: the channel is open both ways; put `channel` in every frame you send
/// me for the remote.
struct channel_up {
  uint32_t channel = 0;
  hash256 remote_node; ///< the remote's static key, for logs and metrics
  bool initiator = false; ///< this side dialed the connection
};

/// peer -> feed service: the channel is gone (closed by either side or the connection ended).
struct channel_down {
  uint16_t reason = 0;
};

/// feed service -> peer: the remote misbehaved on my channel; end the connection.
struct punish {
  uint16_t reason = 0; ///< a disconnect_reason
  std::string detail;
  std::vector<std::string> referrals; ///< for the bye (node -> peer, too_many_peers)
};

/// driver -> swarm: a connection the swarm asked for is up (or an inbound one arrived).
struct peer_up {
  uint64_t peer = 0;
  hash256 remote_node;
  std::string address;
  bool outbound = false;
};

/// driver -> swarm: a connection ended or could not be made.
struct peer_down {
  uint64_t peer = 0; ///< 0 when the connection never came up
  std::string address;
  uint16_t reason = 0;
  /// The node at `address` refused the dial for being full and named these peers of its own
  /// instead (checked by the node: canonical, not this node's, not `address`).
  std::vector<std::string> referrals;
};

/// peer -> node: the remote refused the connection this node dialled (too_many_peers) and
/// referred it to `addresses`. The peer ends once the node answers referral_taken, so that the
/// node hands the addresses on with the peer_down of that connection, in every host.
struct referred {
  std::vector<std::string> addresses;
};

/// node -> peer: the referral is noted; the peer may end.
struct referral_taken {};

/// feed service (a rotating writer) -> publisher: sign and publish this value, with `seq`
/// when `seq_given`, else one past the held value (a nonzero `seq` counts as given too).
struct publish_value {
  bytes value;
  uint64_t seq = 0;
  bool seq_given = false; ///< seq 0 is wanted as it is: an empty feed's announcement
};

/// any component -> publisher: tell me every value you accept from now on (and the current one).
struct subscribe_values {};

/// publisher -> subscriber: the value feed now holds this value.
struct value_update {
  uint64_t seq = 0;
  bytes value;
};

/// node -> feed service: how this feed is shared (a feed_mode), which publisher carries its
/// announcements (0: none), which component moves its swarms (rotate_swarm), and how its
/// readers learn new IDs (id_channels bits; 0: the value swarm only).
struct set_mode {
  uint8_t mode = 0;
  uint64_t publisher = 0;
  uint64_t node = 0;
  uint8_t id_channels = 0;
};

/// feed service -> publisher: the peer component `peer` pushed this value on the feed's
/// channel (the relay ID channel); decide on it as on a value from the publisher's own peers.
struct offer_value {
  uint64_t peer = 0;
  signed_value value;
};

/// any component -> publisher: send me signed_update for every value you accept from now on
/// (and the current one): the signatures included, for components that pass values on.
struct subscribe_signed {};

/// publisher -> signed subscriber: the value feed now holds `value`, which came from the peer
/// component `peer` (0: from the node itself or a peer of the publisher's own swarm).
struct signed_update {
  uint64_t peer = 0;
  signed_value value;
};

/// feed service -> node: replicate this feed in the swarm for `join` instead of `leave` (the
/// rotating modes move to the swarm of each new feed ID; a zero topic means none).
struct rotate_swarm {
  hash256 leave;
  hash256 join;
};

/// swarm -> discovery: find peers for `topic` (and, with `announce`, tell others that this node
/// has it), now and periodically until stop_finding.
struct find_peers {
  hash256 topic;
  bool announce = false;
};

/// discovery -> swarm: addresses ("host:port") of nodes that announced `topic`, as a lookup
/// finds them (a lookup may report several times).
struct peers_found {
  hash256 topic;
  std::vector<std::string> addresses;
};

/// swarm -> discovery: no more interest in `topic` (stop announcing it for this swarm).
struct stop_finding {
  hash256 topic;
};

/// swarm -> node: connect me to `address` ("host:port"); the node answers with peer_up (at
/// once when a connection to it is up already) or peer_down.
struct dial {
  std::string address;
};

/// swarm -> node: the swarm no longer needs its connection to `address` (it replaces a peer);
/// the node closes it unless another swarm uses it.
struct hang_up {
  std::string address;
};

// ---- the dht ID channel: a component and the DHT (discovery/dht.hpp) ------------------------

/// A BEP 44 mutable item as the dht ID channel's messages carry it. For watch, poll and stop
/// only k and salt matter (v and sig empty).
struct dht_item_fields {
  public_key k;
  bytes salt;
  int64_t seq = 0;
  bytes v;
  bytes sig; ///< 64 bytes, or empty
};

/// component -> DHT: put this signed item now, and again before it expires, until stop_item
/// or a newer put_item of the same (k, salt).
struct put_item {
  dht_item_fields item;
};

/// component -> DHT: poll (k, salt) every interval_ms (+- up to jitter_ms) with BEP 44 get and
/// `seq`, and answer item_found for every item newer than `item.seq` (and than the last found).
struct watch_item {
  dht_item_fields item;
  uint64_t interval_ms = 0;
  uint64_t jitter_ms = 0;
};

/// component -> DHT: poll the watched (k, salt) now (a poll under way counts).
struct poll_item {
  dht_item_fields item;
};

/// component -> DHT: stop watching and re-putting (k, salt) for this component.
struct stop_item {
  dht_item_fields item;
};

/// DHT -> watcher: an item of (k, salt) newer than any reported before, its signature checked.
struct item_found {
  dht_item_fields item;
};

/// node -> feed service: also carry ID announcements through the DHT component `discovery`
/// (the dht ID channel), polling every poll_interval_ms +- poll_jitter_ms.
struct use_dht {
  uint64_t discovery = 0;
  uint64_t poll_interval_ms = 0;
  uint64_t poll_jitter_ms = 0;
};

using local_message = std::variant<find_feed, feed_unknown, offer_peer, attach, detach, channel_up,
                                   channel_down, punish, peer_up, peer_down, publish_value,
                                   subscribe_values, value_update, set_mode, rotate_swarm,
                                   find_peers, peers_found, stop_finding, dial, hang_up,
                                   offer_value, subscribe_signed, signed_update, put_item,
                                   watch_item, poll_item, stop_item, item_found, use_dht,
                                   referred, referral_taken>;

} // namespace dynfeed::msg
