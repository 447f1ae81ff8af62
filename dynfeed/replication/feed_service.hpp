#pragma once

/// The feed service: one per feed in a node. It owns the feed, answers the requests that peers
/// forward, verifies and stores the data they bring, and decides what to download from whom:
/// aligned chunks of missing blocks, spread over the peers that hold them, a bounded number of
/// requests in flight per peer, timeouts and retries elsewhere. Peers that send proofs that do
/// not verify are disconnected.

#include "dynfeed/base/flat_map.hpp"
#include "dynfeed/base/small_vector.hpp"
#include "dynfeed/component/component.hpp"
#include "dynfeed/core/feed.hpp"
#include "dynfeed/feed/dynamic.hpp"
#include "dynfeed/messages/messages.hpp"
#include "dynfeed/replication/config.hpp"
#include "dynfeed/replication/remote_have.hpp"

#include <optional>
#include <unordered_map>

namespace dynfeed {

/// What a feed service reports to whoever embeds it (the node's API, a simulation's metrics).
class feed_service_observer {
public:
  virtual ~feed_service_observer() = default;
  /// The trusted length grew, by an append or a verified upgrade.
  virtual void on_length(uint64_t /*length*/) {}
  /// Blocks [first, first + count) are now held (downloaded and verified, or appended).
  virtual void on_blocks(uint64_t /*first*/, uint64_t /*count*/) {}
  /// The requested download finished.
  virtual void on_download_done() {}
  /// A peer's channel opened (true) or closed (false).
  virtual void on_peer(component_id /*peer*/, bool /*up*/) {}
  /// A peer sent something that did not verify and was dropped.
  virtual void on_rejected(component_id /*peer*/, const error& /*why*/) {}
  /// The writer signed two trees that cannot both be true (met here, or told by a peer with
  /// the proof): the feed is no longer followed.
  virtual void on_equivocation(const equivocation_proof& /*proof*/) {}
  /// A reader moved to a newer fork the writer signed, keeping `shared` blocks.
  virtual void on_fork(uint64_t /*fork*/, uint64_t /*length*/, uint64_t /*shared*/) {}
  /// Verified data could not be stored (a full disk, a failing store): nothing of it was kept,
  /// and the store refuses writes until it is reopened, so a download cannot go on.
  virtual void on_store_failed(const error& /*why*/) {}
};

struct feed_service_stats {
  uint64_t requests_sent = 0;
  uint64_t requests_served = 0;
  uint64_t blocks_downloaded = 0;
  uint64_t blocks_uploaded = 0;
  uint64_t announcements_published = 0;
  uint64_t syncs_sent = 0;       ///< new lengths told to peers inside the swarm (stable mode)
  uint64_t announcements_followed = 0;
  uint64_t redundant_blocks = 0; ///< downloaded but already held
  uint64_t timeouts = 0;
  uint64_t rejected_proofs = 0;
  // The relay ID channel (id_push frames).
  uint64_t id_pushes_sent = 0;
  uint64_t id_pushes_received = 0;
  uint64_t id_pushes_known = 0; ///< received, identical to the value held: dropped at once
  uint64_t id_pushes_stale = 0; ///< received, older than the value held: answered with it
  // The dht ID channel (BEP 44 items through the DHT component).
  uint64_t id_items_put = 0;       ///< announcements handed to the DHT to keep stored
  uint64_t id_items_too_large = 0; ///< announcements that do not fit a BEP 44 item
  uint64_t id_items_found = 0;     ///< newer items the DHT reported
  uint64_t id_items_refused = 0;   ///< items whose inner value is malformed or badly signed
  uint64_t id_polls_quiet = 0;     ///< polls asked at once because the swarm went quiet
  uint64_t trees_checked = 0;   ///< whole signed trees asked of a peer (a newer fork, a conflict)
  uint64_t forks_followed = 0;
};

class feed_service final : public component {
public:
  feed_service(feed& f, const feed_service_config& config,
               feed_service_observer* observer = nullptr);

  /// Appends as the writer and tells every peer.
  expected<uint64_t> append(context& ctx, const std::vector<byte_span>& blocks);
  /// Truncates as the writer (feed::truncate) and tells every peer the new fork.
  expected<uint64_t> truncate(context& ctx, uint64_t length);
  /// Downloads blocks [start, end); without `end`, up to the first length a peer announces;
  /// with `live`, keeps following every new length.
  void download(context& ctx, uint64_t start, std::optional<uint64_t> end, bool live);
  bool download_done() const noexcept { return done_; }
  /// A reader's first ID swarm, when its ID channels include relay: the ID it was given with
  /// the key (a link), else the swarm of the tree it holds. Set before the mode (set_mode).
  void set_first_id(const hash256& feed_id) { first_id_ = feed_id; }
  /// The proof that the writer equivocated, once met or told: the feed is then no longer
  /// followed and nothing more is stored.
  const std::optional<equivocation_proof>& equivocation() const noexcept { return equivocation_; }

  void on_message(context& ctx, component_id from, byte_span frame) override;
  void on_timer(context& ctx, uint64_t tag) override;
  /// The feed is closed: the DHT stops polling for (reader) or re-putting (writer) its item.
  void on_stop(context& ctx) override;

  dynfeed::feed& data() noexcept { return feed_; }
  feed_mode mode() const noexcept { return mode_; }
  /// The ID swarm this feed is in (rotating modes), if any yet.
  const std::optional<hash256>& id_topic() const noexcept { return topic_; }
  size_t peer_count() const noexcept { return remotes_.size(); }
  const feed_service_stats& stats() const noexcept { return stats_; }
  id_channels channels() const noexcept { return channels_; }

private:
  /// Why a whole signed tree (an upgrade from 0) was asked of a peer.
  enum class check_kind : uint8_t {
    none,
    fork,     ///< it told of a newer fork
    compare,  ///< config.compare_trees: once per peer
    conflict, ///< its proof did not fit our tree: another history, or a lie?
  };
  struct outstanding {
    check_kind check = check_kind::none;
    uint64_t compared = 0; ///< a check: the length at which the trees are compared
    uint64_t id = 0;
    uint64_t first = 0;
    uint64_t count = 0; ///< 0 for an upgrade without blocks
    bool upgrade = false;
    timer_id timer = 0;
  };
  struct remote {
    uint32_t channel = 0;
    uint32_t timeouts = 0; ///< beside channel: no padding (a reader holds dozens of remotes)
    uint64_t length = 0;
    uint64_t fork = 0;
    remote_have have;
    std::vector<outstanding> requests; ///< at most requests_in_flight_max
    outstanding* request(uint64_t id) {
      for (outstanding& o : requests)
        if (o.id == id)
          return &o;
      return nullptr;
    }
    small_vector<uint64_t, 1> cancelled; ///< late answers to these are not unsolicited
    bool checking = false;    ///< a check is in flight
    bool checked = false;     ///< a conflict check was made already: next time, punish
    bool compared = false;    ///< its tree was compared with ours (compare_trees)
    bool conflicting = false; ///< another history we could not prove: never asked again
    bool id_told = false;     ///< we pushed it a signed ID (relay)
    uint64_t compare_after = 0; ///< compare (again) once this many blocks are held
  };

  void on_progress(context& ctx, remote& r);
  void on_wire(context& ctx, component_id from, msg::wire_message&& m);
  void on_channel_up(context& ctx, component_id peer, const msg::channel_up& up);
  void on_channel_down(context& ctx, component_id peer);
  void on_request(context& ctx, component_id peer, remote& r, const msg::request& m);
  void on_data(context& ctx, component_id peer, remote& r, msg::data&& m);
  void on_no_data(context& ctx, component_id peer, remote& r, const msg::no_data& m);
  void settle(context& ctx, remote& r, uint64_t id, bool cancel);
  void punish(context& ctx, component_id peer, msg::disconnect_reason why, const error& err);
  bool usable(const remote& r) const noexcept;

  // Forks and equivocation.
  void on_sync(context& ctx, component_id peer, remote& r, const msg::sync& s);
  /// The sync we send on `channel`: our fork and length, and whether we hold a signed ID.
  msg::sync our_sync(uint32_t channel) const noexcept;
  void check_tree(context& ctx, component_id peer, remote& r, check_kind kind);
  void on_checked(context& ctx, component_id peer, remote& r, proof&& p, check_kind kind,
                  uint64_t compared);
  void follow_fork(context& ctx, const signed_tree& newer, const std::vector<tree_node>& nodes,
                   uint64_t compared);
  void on_equivocation(context& ctx, equivocation_proof proof);
  void cancel_all(context& ctx);
  /// config.compare_trees: checks each peer of our fork not compared yet.
  void compare_trees(context& ctx);

  void schedule(context& ctx);
  bool request_upgrade(context& ctx);
  bool request_blocks(context& ctx, component_id peer, remote& r);
  /// The largest aligned chunk at `first` that is wanted, missing, not in flight, held by `r`
  /// and within `limit`.
  uint64_t chunk_at(uint64_t first, uint64_t limit, const remote& r) const;
  /// Sends `body` for our fork, or for `fork` (a check of another fork's tree).
  uint64_t send_request(context& ctx, component_id peer, remote& r, proof_request body,
                        outstanding o, std::optional<uint64_t> fork = std::nullopt);
  void announce(context& ctx, std::optional<component_id> except, bool length, uint64_t first,
                uint64_t count);
  void check_done();

  // The dynamic feed protocol (rotating modes).
  void on_set_mode(context& ctx, const msg::set_mode& m);
  void on_announcement(context& ctx, const bytes& value);
  /// An announcement of the tree we hold: joins its swarm if we are in none yet.
  void join_held_swarm(context& ctx);
  // The relay ID channel.
  void on_signed_update(context& ctx, msg::signed_update&& u);
  void on_id_push(context& ctx, component_id peer, remote& r, msg::id_push&& m);
  void send_id(context& ctx, component_id peer, remote& r);
  void announce_writer(context& ctx);
  void move_to(context& ctx, const hash256& feed_id);
  // The dht ID channel (feed_service_dht.cpp).
  void on_use_dht(context& ctx, const msg::use_dht& m);
  void put_id_item(context& ctx, const signed_value& value);
  void on_item_found(context& ctx, msg::item_found&& m);
  void poll_ids(context& ctx);
  void on_quiet_check(context& ctx);
  /// The quiet check's timer tag: request ids (the other tags) never get this high.
  static constexpr uint64_t quiet_check_tag = uint64_t{1} << 63;

  feed& feed_;
  feed_service_config config_;
  feed_service_observer* observer_;
  flat_map<component_id, remote> remotes_;
  uint64_t remote_length_max_ = 0; ///< the longest tree any peer told of (may outlive the peer)
  std::unordered_map<uint64_t, component_id> request_owner_;
  bitfield inflight_;
  bool upgrade_inflight_ = false;
  uint64_t next_request_id_ = 1;

  feed_mode mode_ = feed_mode::stable;
  component_id publisher_ = no_component;
  component_id node_ = no_component;
  std::optional<hash256> topic_;                ///< the ID swarm we are in (rotating modes)
  std::optional<id_announcement> target_;       ///< where a rotating reader is going
  id_channels channels_;
  std::optional<hash256> first_id_;             ///< set_first_id
  std::optional<signed_value> latest_;          ///< the newest announcement (relay, dht)
  component_id dht_ = no_component;             ///< the DHT, when dht is an ID channel
  clock_time quiet_after_{0};                   ///< see on_quiet_check
  uint64_t quiet_blocks_ = 0;                   ///< blocks held at the last quiet check

  bool want_ = false;
  uint64_t want_start_ = 0;
  std::optional<uint64_t> want_end_;
  bool live_ = false;
  bool done_ = false;
  std::optional<equivocation_proof> equivocation_;
  feed_service_stats stats_;
};

} // namespace dynfeed
