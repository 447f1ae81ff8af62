#pragma once

/// What a node is, apart from how it hosts components and reaches the network. The CAF node
/// (actors/node.cpp) and the simulator's nodes (sim/) both run it, each with its own node_host.
///
/// - Directory: which component (a feed service, a value feed's publisher) serves the channels
///   opened with each key. When a remote opens a channel nobody here has offered yet, its peer
///   asks (find_feed) and the core hands the peer to that component, or says nobody serves it.
/// - Swarms: one per (topic, owner), started through the host with the node's discovery
///   component; a rotating feed moves between ID swarms by asking (rotate_swarm).
/// - Connections: swarms ask for addresses (dial); the core keeps one connection per address,
///   shared by every swarm that asked, and tells each of them when it is up or down.
/// - Sharing a feed in a mode (join_feed): which swarms and which publisher that takes.
/// - Value feeds (value_feeds): one publisher per feed, signed and persisted with the node's
///   value keys, the node's own ones announced once discovery runs.

#include "dynfeed/base/address_key.hpp"
#include "dynfeed/base/flat_map.hpp"
#include "dynfeed/base/small_vector.hpp"
#include "dynfeed/feed/dynamic.hpp"
#include "dynfeed/feed/signed_value.hpp"
#include "dynfeed/messages/messages.hpp"
#include "dynfeed/component/component.hpp"
#include "dynfeed/component/connection.hpp"
#include "dynfeed/replication/swarm.hpp"
#include "dynfeed/replication/value_feeds.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace dynfeed {

/// How the core starts and stops components and opens connections: the node spawns actors
/// and dials TCP; the simulator spawns components on its runtime and uses its network.
class node_host {
public:
  virtual ~node_host() = default;
  virtual component_id start_swarm(context& ctx, const swarm_config& config) = 0;
  /// A value feed's publisher, as `start` says (value_feeds decided which signer and store).
  virtual component_id start_publisher(context& ctx, const publisher_start& start) = 0;
  /// The running `publisher` takes the limits and rules of `start` (its definition is the
  /// publisher's).
  virtual void set_publisher_rules(context& ctx, component_id publisher,
                                   const publisher_start& start) = 0;
  virtual void stop(context& ctx, component_id id) = 0;
  /// Opens a connection to `address`; the host then calls connected() or dial_failed().
  virtual void dial(context& ctx, const std::string& address) = 0;
};

struct node_core_config {
  /// Settings for every swarm the core starts (topic, feed and node are filled in).
  swarm_config swarm;
  /// A rotating feed's value swarm (the value-swarm ID channel): discovered peers it keeps
  /// connected, in place of swarm.outbound_wanted; 0 takes that. The value swarm carries one
  /// small signed value per append, pushed over every connection, so it needs fewer than a
  /// swarm that serves blocks: each of its connections costs a reader memory and every
  /// announcement once more (docs/protocol.md, "How many peers a value swarm keeps").
  size_t value_outbound_wanted = 0;
  /// Inbound connections taken at most; more are closed with too_many_peers, so that a
  /// popular node (a writer everyone dials) serves a bounded set and the rest spread out.
  size_t inbound_max = 64;
  /// A refusal for being full refers the dialler to at most this many of the node's peers
  /// (Gnutella's "503 Full" with X-Try-Ultrapeers): their dialable addresses (the ones it
  /// dialled, and where inbound peers said they listen), drawn at random, never the dialler's.
  /// At most referrals_max (messages/limits.hpp); 0: refuse without referring.
  size_t referrals = 8;
  /// Where this node is reached: a referral to one of these is dropped (never dial oneself).
  std::vector<std::string> self_addresses;
  /// The dht ID channel: how often a reader's DHT polls for a new ID, and the jitter (each
  /// wait is the interval +- up to it). docs/protocol.md says where the defaults come from.
  clock_time id_poll_interval = std::chrono::seconds{60};
  clock_time id_poll_jitter = std::chrono::seconds{15};
  /// The relay ID channel: after a feed moves on from an ID swarm, the node stays announced
  /// in it this long (at most id_lingering_max such swarms per feed, the oldest dropped
  /// first), so that a reader coming back to that ID finds someone to dial, who answers with
  /// the newest ID (docs/protocol.md, "relay"). Zero: leave at once.
  clock_time id_linger = std::chrono::minutes{10};
  size_t id_lingering_max = 8;
  /// Make before break: a feed moving to a new ID swarm keeps the swarm it leaves, and its
  /// connections, until the new swarm still has a connection it dialled id_overlap_confirm
  /// after one came up, or for id_overlap at most. A reader that moves on more often than a
  /// swarm takes to join then never stands without peers between two swarms
  /// (docs/protocol.md, "Moving between ID swarms"). Zero: leave at once (break before make).
  clock_time id_overlap{0};
  /// How long after a connection of the new swarm came up it must still have one: a full
  /// node's refusal ends the connection within a round trip of its coming up.
  clock_time id_overlap_confirm = std::chrono::seconds{2};
};

class node_core final : public component {
public:
  explicit node_core(node_core_config config = {}, node_host* host = nullptr);

  // ---- directory ---------------------------------------------------------------------------
  /// `component` serves channels opened with `key` (a feed's discovery key, a value topic).
  void serve(const hash256& key, component_id component);
  void stop_serving(const hash256& key);
  component_id server_of(const hash256& key) const;
  size_t served_count() const noexcept { return servers_.size(); }

  // ---- swarms ------------------------------------------------------------------------------
  /// The discovery component swarms use from now on (no_component: static addresses only);
  /// the node's own value feeds join their swarms, so that it announces them.
  void set_discovery(context& ctx, component_id discovery);
  component_id discovery() const noexcept { return discovery_; }
  /// The addresses every swarm of `owner` stays connected to.
  void set_addresses(component_id owner, std::vector<std::string> addresses);
  /// Starts the swarm for (topic, owner) unless it runs; its peers are offered to `owner`. It
  /// keeps `outbound_wanted` discovered peers connected (0: config.swarm's).
  void join_swarm(context& ctx, const hash256& topic, component_id owner,
                  size_t outbound_wanted = 0);
  void leave_swarm(context& ctx, const hash256& topic, component_id owner);
  size_t swarm_count() const noexcept { return swarms_.size(); }

  /// Shares the feed served by `feed` (its writer's key; `writer_sk` on the writer) in `mode`,
  /// with `addresses` as static peers: stable joins the discovery key's swarm; the rotating
  /// modes start the announcement publisher (which signs or checks every announcement), join
  /// its swarm if `channels` has the value swarm, and tell the feed service its mode and
  /// channels; it then moves between ID swarms. With dht among the channels, the feed service
  /// also gets the discovery component (use_dht), now or once set_discovery names one; a
  /// discovery that is not a DHT ignores it (the caller checks). Returns the publisher
  /// (no_component if stable).
  component_id join_feed(context& ctx, component_id feed, const public_key& key,
                         const std::optional<secret_key>& writer_sk,
                         std::vector<std::string> addresses, feed_mode mode,
                         id_channels channels = {});

  // ---- value feeds ------------------------------------------------------------------------
  value_feeds& values() noexcept { return values_; }
  const value_feeds& values() const noexcept { return values_; }

  // ---- connections (reported by the host) -------------------------------------------------
  /// A connection is up with its peer component: outbound (the answer to a dial of `address`)
  /// or inbound (address: what the host knows of the remote, for logs).
  void connected(context& ctx, const std::string& address, component_id peer, const node_key& remote,
                 bool outbound);
  void dial_failed(context& ctx, const std::string& address, uint16_t reason);
  /// A peer component ended (its connection closed).
  void peer_ended(context& ctx, component_id peer);
  size_t peer_count() const noexcept { return peers_.size(); }
  size_t inbound_count() const noexcept { return inbound_; }
  /// Connections to a node this one is connected to already (two nodes that dialled each
  /// other hold two): each beyond the first to its node counts.
  size_t duplicate_count() const;
  /// This node is reached at `address` too (node_core_config::self_addresses).
  void add_self_address(std::string address) {
    add_unique(config_.self_addresses, std::move(address));
  }

  void on_message(context& ctx, component_id from, byte_span frame) override;
  void on_timer(context& ctx, uint64_t tag) override;
  /// ID swarms left and still announced (relay, config.id_linger).
  size_t lingering_count() const noexcept { return lingering_.size(); }
  /// ID swarms kept until their successor has a peer (config.id_overlap): one per feed at most.
  size_t overlapping_count() const noexcept { return overlaps_.size(); }
  /// ID swarms a relay writer left before anyone there heard the new ID, kept until one of
  /// their connections has lasted (id_lingering_max per feed at most).
  size_t untold_count() const noexcept { return untold_.size(); }

private:
  struct lingering_topic {
    hash256 topic;
    component_id owner = no_component;
    uint64_t tag = 0;
    timer_id timer = 0;
  };
  /// `owner` left the ID swarm of `topic`: stays announced there for a while (relay feeds).
  void linger(context& ctx, const hash256& topic, component_id owner);
  void end_linger(context& ctx, size_t index);

  /// A feed's previous ID swarm, kept while the one it moved to (`successor`) has no peer.
  struct overlap {
    hash256 kept;
    hash256 successor;
    component_id owner = no_component;
    uint64_t tag = 0;         ///< the deadline's timer (id_overlap after the move)
    timer_id deadline = 0;
  };
  /// A relay writer's ID swarm where nobody heard the newest ID: the writer left it with no
  /// connection there to tell. It stays, dialing, until a connection of it has stayed up
  /// id_overlap_confirm (the channel's opening tells the newest ID, and its readers relay it),
  /// or for id_linger at most; at most id_lingering_max of them per feed, the oldest left first.
  struct untold_swarm {
    hash256 topic;
    component_id owner = no_component;
    uint64_t check_tag = 0;    ///< the confirmation's timer tag, 0: none running
    uint64_t deadline_tag = 0; ///< id_linger after it was left
    timer_id deadline = 0;
  };
  /// Keeps `owner`'s swarm of `topic`, which it leaves untold.
  void hold_untold(context& ctx, const hash256& topic, component_id owner);
  /// Ends untold_[index]: the swarm is left (and lingers) if `leave`, or is the feed's again.
  void end_untold(context& ctx, size_t index, bool leave);
  /// `owner` moves from the swarm of `leave` to the swarm of `join`.
  void rotate(context& ctx, const hash256& leave, const hash256& join, component_id owner);
  /// Leaves `topic`'s swarm of `owner` for good: lingers there first if the feed relays.
  void depart(context& ctx, const hash256& topic, component_id owner);
  /// Whether a connection is up that the swarm of (topic, owner) asked for.
  bool swarm_has_peer(const hash256& topic, component_id owner) const;
  /// An outbound connection came up for `swarm`: if it is a successor, confirm it later.
  void watch_successor(context& ctx, component_id swarm);
  /// An outbound connection came up for `swarm`: if it is an untold swarm, leave it once the
  /// connection has lasted.
  void watch_untold(context& ctx, component_id swarm);
  /// Whether `owner` is a feed this node writes, joined with the relay ID channel.
  bool relay_writer(component_id owner) const;
  void end_overlap(context& ctx, size_t index);

  struct peer_record {
    address_key address;
    node_key remote;
    bool outbound = false;
    /// Inbound: the port its hello said it listens on, learned with its first find_feed
    /// (0: unknown or none); with the address's host, where a refusal may refer others.
    uint16_t listen_port = 0;
    /// Swarms to tell when it ends: mostly one, kept in place (no heap block per connection).
    small_vector<component_id, 1> requesters;
  };

  void on_dial(context& ctx, component_id requester, const std::string& address);
  void on_hang_up(context& ctx, component_id requester, const std::string& address);
  void send_up(context& ctx, component_id requester, component_id peer, const peer_record& p);
  void send_use_dht(context& ctx, component_id feed);
  /// Up to config_.referrals dialable addresses of our peers, at random, none of them `remote`.
  std::vector<std::string> referrals_for(context& ctx, const node_key& remote) const;
  /// A peer of ours was refused and referred elsewhere: kept for that peer's peer_down.
  void on_referred(context& ctx, component_id peer, std::vector<std::string> addresses);

  node_core_config config_;
  node_host* host_;
  value_feeds values_{*this, host_};
  component_id discovery_ = no_component;
  std::vector<component_id> dht_feeds_; ///< feed services joined with the dht ID channel
  std::vector<component_id> relay_feeds_; ///< feed services joined with the relay ID channel
  std::vector<lingering_topic> lingering_; ///< oldest first
  std::vector<overlap> overlaps_;
  std::vector<component_id> relay_writers_; ///< relay_feeds_ that this node writes
  std::vector<untold_swarm> untold_;
  /// Timer tags of successors' connections being confirmed: the tag names the overlap's.
  std::map<uint64_t, uint64_t> confirming_;
  uint64_t next_timer_tag_ = 1; ///< every timer of the core: lingers, overlaps, confirmations
  std::map<hash256, component_id> servers_;
  std::map<component_id, std::vector<std::string>> addresses_;
  std::map<std::pair<hash256, component_id>, component_id> swarms_;
  /// The live peer dialled at `address`, if any (no_component).
  component_id outbound_peer(const std::string& address) const;

  flat_map<component_id, peer_record> peers_;
  std::map<std::string, std::set<component_id>> dialing_;     ///< address -> swarms waiting
  /// Referrals that came with a refusal, until the refused peer ends (a refusal or two at once).
  flat_map<component_id, std::vector<std::string>> referrals_;
  size_t inbound_ = 0;
};

} // namespace dynfeed
