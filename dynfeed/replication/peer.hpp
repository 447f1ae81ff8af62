#pragma once

/// The peer: one per connection. It says hello, opens feeds on the connection as channels
/// (each side proves it knows a feed's key with a capability bound to this connection), and
/// routes frames between the remote and the feed services, which do the replicating. Anything
/// the remote does out of protocol ends the connection with a reason.

#include "dynfeed/base/small_vector.hpp"
#include "dynfeed/component/connection.hpp"
#include "dynfeed/crypto/crypto.hpp"
#include "dynfeed/messages/messages.hpp"
#include "dynfeed/replication/config.hpp"

#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace dynfeed {

class peer final : public connected_component {
public:
  peer(const peer_config& config, connection& conn);
  ~peer() override;
  peer(const peer&) = delete;
  peer& operator=(const peer&) = delete;

  void on_start(context& ctx) override;
  void on_message(context& ctx, component_id from, byte_span frame) override;
  void on_remote(context& ctx, byte_span frame) override;
  void on_disconnect(context& ctx, msg::disconnect_reason why) override;
  void on_timer(context& ctx, uint64_t tag) override;
  bool alive() const override { return !closed_ || awaiting_node_; }

  size_t channel_count() const noexcept { return channels_.size(); }
  /// Why the connection ended, once it has.
  std::optional<msg::disconnect_reason> close_reason() const noexcept {
    return closed_ ? std::optional<msg::disconnect_reason>(
                       static_cast<msg::disconnect_reason>(close_reason_))
                   : std::nullopt;
  }
  bool hello_received() const noexcept { return hello_received_; }
  /// The port the remote's hello said it accepts connections on (0: none, or no hello yet).
  uint16_t remote_listen_port() const noexcept { return remote_listen_port_; }

private:
  /// A channel keeps either the feed's key or the remote's capability, never both: once a
  /// feed attached and the remote opened, the pair is checked at once (and the connection ends
  /// if it fails), so a channel holds the one that came first until the other comes.
  /// 80 bytes: our number and the three flags share a word (made with channel{}: all zero).
  struct channel {
    hash256 discovery_key;
    hash256 pending; ///< the key once a feed attached, else the remote's capability once it opened
    component_id feed;
    uint32_t remote; ///< the remote's number, once it sent open (has_remote)
    uint32_t local : 29; ///< our number, once we sent open (ours start at 1, below local_max)
    uint32_t has_remote : 1;
    uint32_t up : 1;
    uint32_t asked_node : 1;
  };
  static constexpr uint32_t local_max = uint32_t{1} << 29;

  void on_wire(context& ctx, msg::wire_message&& m);
  void on_open(context& ctx, const msg::open_channel& m);
  void on_attach(context& ctx, component_id feed, const msg::attach& m);
  void forward(context& ctx, uint32_t remote_channel, byte_span frame);
  /// Pairs a channel both sides opened, once the remote's capability checks out against the
  /// feed's key.
  void pair(context& ctx, channel& c, const public_key& key, const hash256& remote_capability);
  void drop_channel(context& ctx, const hash256& discovery_key, msg::disconnect_reason why);
  void fail(context& ctx, msg::disconnect_reason why, std::vector<std::string> referrals = {});
  void on_bye(context& ctx, msg::bye& b);

  /// What the peer keeps of its config, the same for all the peers of a node: kept once per
  /// distinct config while a peer uses it (a simulation holds millions of peers).
  struct settings {
    component_id node = no_component;
    clock_time hello_timeout{0};
    std::string user_agent;
    uint32_t channels_max = 0;
    uint32_t frame_size_max = 0;
    uint16_t listen_port = 0;
    mutable size_t users = 0; ///< peers holding it (not part of the key)
    bool operator<(const settings& o) const {
      return std::tie(node, hello_timeout, user_agent, channels_max, frame_size_max, listen_port)
             < std::tie(o.node, o.hello_timeout, o.user_agent, o.channels_max, o.frame_size_max,
                        o.listen_port);
    }
  };
  static std::set<settings>& kept_settings();
  static const settings& acquire(settings wanted);
  static void release(const settings& kept);
  const settings* settings_;
  connection& conn_;
  channel* find(const hash256& discovery_key);
  channel* find_remote(uint32_t remote_channel);
  channel& find_or_add(const hash256& discovery_key);
  void erase(const channel& c);

  /// A connection carries a feed or two: a vector beats any map, and the first channel lives in
  /// the peer itself (128 bytes in all, a jemalloc class, where a channel of its own took
  /// another heap block).
  small_vector<channel, 1> channels_;
  timer_id hello_timer_ = 0;
  uint32_t next_local_ = 1;
  uint16_t remote_listen_port_ = 0; ///< from the remote's hello
  bool hello_received_ : 1;
  bool closed_ : 1;
  /// Closed after a refusal that referred us elsewhere: lives on until the node took the
  /// referral (referral_taken), so that the node learns it before it learns the peer ended.
  bool awaiting_node_ : 1;
  /// Once closed_; one byte (every reason fits) keeps the peer's size.
  uint8_t close_reason_ = 0;
};

} // namespace dynfeed
