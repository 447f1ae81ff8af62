#pragma once

/// The swarm for one topic: the peers it is connected to for that topic, and the addresses it
/// should be connected to. It asks its node for connections (dial), offers every connected peer
/// to its feed service, and reconnects with backoff. Addresses come from a static list (always
/// dialed) and from a discovery component (proto/discovery.hpp), which it asks to find and
/// announce the topic. Discovered addresses are candidates: the swarm keeps `outbound_wanted`
/// of them connected or dialing, chosen at random (so that a thousand readers told the same
/// addresses do not all dial the first), and replaces those that fail. A connection that ends
/// soon after it came up (a full node refusing it, a peer that flaps) counts as a failure.
///
/// A full node's refusal may refer the swarm to other peers (peer_down's referrals): they join
/// the discovered addresses within discovered_max, making room by dropping addresses that
/// failed, the refusing one first, and the next dials go to them before any other candidate. A
/// referral is an unverified hint: a referred address is forgotten at its first failure, so one
/// refusal causes referrals_max (8) dials at most.

#include "dynfeed/base/address_key.hpp"
#include "dynfeed/base/flat_map.hpp"
#include "dynfeed/messages/messages.hpp"
#include "dynfeed/component/component.hpp"

#include <map>
#include <string>
#include <vector>

namespace dynfeed {

struct swarm_config {
  hash256 topic;
  component_id feed = no_component; ///< gets every connected peer (offer_peer)
  component_id node = no_component; ///< makes connections (dial -> peer_up / peer_down)
  std::vector<std::string> addresses; ///< peers to stay connected to
  /// The node's discovery component (no_component: none), and whether to announce the topic
  /// there (a node that only downloads may stay unlisted).
  component_id discovery = no_component;
  bool announce = true;
  /// Addresses from discovery kept at most; beyond, new ones are ignored until one is dropped.
  size_t discovered_max = 32;
  /// Discovered addresses connected or dialing at once (inbound peers come on top).
  size_t outbound_wanted = 8;
  /// A connection that ends sooner than this after it came up counts as a failed dial.
  clock_time stable_after = std::chrono::seconds{10};
  /// At most this often, when discovery answers and the swarm is full, it dials one more
  /// candidate and, once that is up, hangs up on its longest-standing discovered peer: the
  /// swarm's graph keeps mixing, and heals after a partition instead of staying split along
  /// the connections that survived it. Zero: never.
  clock_time rotate_interval = std::chrono::seconds{60};
  /// A swarm short of peers with no address left to try asks discovery again (find_peers
  /// once more), first after this long, then twice as long each time up to refind_max, until
  /// a peer comes up. Discovery rounds are minutes apart; starving that long is not needed.
  clock_time refind_min = std::chrono::seconds{2};
  clock_time refind_max = std::chrono::seconds{60};
  clock_time reconnect_delay_min = std::chrono::milliseconds{500};
  clock_time reconnect_delay_max = std::chrono::seconds{30};
};

class swarm final : public component {
public:
  explicit swarm(const swarm_config& config);

  void on_start(context& ctx) override;
  void on_message(context& ctx, component_id from, byte_span frame) override;
  void on_timer(context& ctx, uint64_t tag) override;
  void on_stop(context& ctx) override;
  bool alive() const override { return joined_; }

  /// Adds an address to stay connected to (from the user's list).
  void add_address(context& ctx, const std::string& address);
  /// Leaves the swarm: the feed service detaches from its peers.
  void leave(context& ctx);

  size_t connected() const noexcept { return peers_.size(); }
  const hash256& topic() const noexcept { return config_.topic; }

private:
  /// 24 bytes: a reader holds discovered_max of these a swarm, a simulation millions.
  struct address_state {
    component_id peer = no_component;
    /// Connected: when the connection came up. Otherwise (and not dialing), for a discovered
    /// address: not dialed again before. Each is read only in its own state, and every way
    /// out of a connection or a dial sets the retry time (or drops the address), so the two
    /// share one field.
    clock_time up_or_retry_at{0};
    bool dialing = false;
    bool discovered = false; ///< from discovery rather than the static list
    bool referred = false;   ///< from a referral, never connected for long: one failure drops it
    uint8_t failures = 0;    ///< discovered: dials in a row that failed (dropped at 3)
    /// Backoff doublings since the last reset: the backoff is their result (backoff_after).
    uint8_t backoffs = 0;
  };
  /// The backoff after `backoffs` doublings from zero, each clamped to the reconnect delays.
  clock_time backoff_after(uint8_t backoffs) const;

  void dial(context& ctx, const std::string& address);
  void on_found(context& ctx, const std::vector<std::string>& addresses);
  void on_down(context& ctx, const msg::peer_down& down);
  /// Adds a refusal's referrals as discovered addresses, dropping failed ones to make room.
  void add_referred(const std::string& refused, const std::vector<std::string>& referrals);
  /// Drops one discovered address that failed and is idle, `first` if it is one; false if none.
  bool drop_failed(const std::string& first);
  /// Dials discovered candidates until `outbound_wanted` are connected or dialing.
  void fill(context& ctx);
  /// Dials one candidate beyond outbound_wanted, if it is time to rotate (see rotate_interval).
  void rotate(context& ctx);
  /// Over outbound_wanted connected: hangs up on the longest-standing discovered peer.
  void trim(context& ctx);
  /// Short of peers with nothing left to dial: asks discovery again, with backoff.
  void refind(context& ctx);
  size_t discovered_count() const;

  swarm_config config_;
  flat_map<address_key, address_state> addresses_; ///< in the order of the texts
  std::vector<component_id> peers_; ///< connected, oldest first
  std::map<uint64_t, std::string> retry_timers_; ///< static addresses' redials
  uint64_t next_timer_tag_ = 1;
  clock_time fill_at_{-1}; ///< when the pending fill timer fires (-1: none pending)
  clock_time rotated_at_{0}; ///< the last rotation
  clock_time refind_delay_{0}; ///< the wait before asking discovery again (0: not starving)
  clock_time refind_at_{0};    ///< when it may ask again
  bool joined_ = true;
};

} // namespace dynfeed
