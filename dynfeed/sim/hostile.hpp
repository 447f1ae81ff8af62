#pragma once

/// Hostile nodes (scenario "hostile", docs/simulator.md): hosts that connect to running readers
/// as peers do and lie to them in one way each (hostile_kind). They speak the wire protocol
/// through the real codec, and the readers meet them through their real peer and feed service,
/// so whatever a reader rejects or accepts here it would over TCP. Each hostile node counts the
/// lies it told and the rejections it got back over the wire (a bye with the reason the honest
/// code gives for that lie, a no_data refusal, the newer value a reader answers a stale one
/// with): hostile_tally.

#include "dynfeed/component/connection.hpp"
#include "dynfeed/feed/signed_value.hpp"
#include "dynfeed/sim/driver.hpp"
#include "dynfeed/sim/hostile_config.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dynfeed::sim {

class world;
class sim_node;
class hostile_dht_node;

/// What every hostile node of a run knows (what any reader knows: the feed's key, the
/// writer's length as announced) and what they counted together.
struct hostile_book {
  public_key feed_key;
  uint32_t block_size = 1024;
  /// The writer's length now (what the feed announces to everyone).
  std::function<uint64_t()> writer_length;
  /// stale_value: the oldest genuine announcement met so far, replayed once readers are past it.
  std::optional<signed_value> recorded;
  hostile_tally tally;
  /// Every act ends up in one of three counts: rejected (tally), unanswered (its connection
  /// ended without the expected refusal: the reader's host crashed, the connection outlived
  /// its linger time, or the reader ended it for another reason), or still open.
  std::array<uint64_t, hostile_kind_count> unanswered{};
  std::array<uint64_t, hostile_kind_count> open{};
  /// The DHT kinds' acts the honest node took and that mislead nobody (an announce recording
  /// the sender's own address, a flooded query served within the rate limit).
  std::array<uint64_t, hostile_kind_count> harmless{};
  /// Acts the honest side took that it should have refused (a bug when not 0).
  std::array<uint64_t, hostile_kind_count> accepted{};
};

/// The summary table's rows, one per kind present: ("bad_proof", "2 nodes, 31 connections,
/// 14 acts, 9 rejected, 0 unanswered, 0 open").
std::vector<std::pair<std::string, std::string>> hostile_rows(
  const hostile_book& book, const std::array<uint32_t, hostile_kind_count>& nodes);

/// One hostile connection's component, on the hostile host's end.
class hostile_peer final : public connected_component {
public:
  hostile_peer(hostile_kind kind, hostile_book& book, connection& conn, clock_time linger);
  ~hostile_peer() override;

  void on_start(context& ctx) override;
  void on_message(context& /*ctx*/, component_id /*from*/, byte_span /*frame*/) override {}
  void on_remote(context& ctx, byte_span frame) override;
  void on_disconnect(context& ctx, msg::disconnect_reason why) override;
  void on_timer(context& ctx, uint64_t tag) override;
  bool alive() const override { return !ended_; }
  /// request_flood: requests sent once the channel is up.
  void set_flood_requests(uint32_t n) noexcept { flood_requests_ = n; }

private:
  void on_channel_up(context& ctx);
  void on_request(const msg::request& m);
  void on_value(const signed_value& value);
  void claim_blocks();
  /// Counts a lie told (an act); `lie` also sends it.
  void count_lie();
  void lie(bytes frame);
  /// The reader refused `lies` of the lies still pending here (with the expected bye, or an
  /// answer).
  void reject(uint64_t lies);
  void end();
  /// The bye a reader ends the connection with for this kind's lie; normal for the kinds a
  /// reader answers without ending it (request_flood, stale_value).
  static msg::disconnect_reason expected_bye(hostile_kind kind) noexcept;
  bool answered_kind() const noexcept { return expected_bye(kind_) == msg::disconnect_reason::normal; }

  hostile_kind kind_;
  hostile_book& book_;
  connection& conn_;
  clock_time linger_;
  bool opened_ = false;      ///< the reader opened its side of our channel
  bool forged_ = false;
  bool lingered_ = false;    ///< the linger time was extended once
  bool ended_ = false;
  uint64_t pending_ = 0;     ///< lies told here that the reader has not refused yet
  uint64_t claimed_ = 0;     ///< the length we claimed last
  uint32_t flood_requests_ = 200;
  std::optional<uint64_t> stale_seq_;
  uint64_t next_id_ = 1;
};

/// The hostile hosts of a run: placed after every other host (so that honest hosts keep their
/// addresses and a scenario without hostile nodes replays as before), each connecting to a
/// random running reader every interval.
class hostile_nodes {
public:
  /// Picks a running reader to connect to (nullptr: none this time).
  using pick_fn = std::function<sim_node*(rng&)>;

  hostile_nodes(driver& drv, world& w, const hostile_config& config, uint64_t seed,
                hostile_book book);
  ~hostile_nodes();

  /// Adds the hosts: one per hostile node, `first_ip` on, in region 0.
  void add_hosts(const std::array<uint32_t, hostile_kind_count>& nodes, uint32_t first_ip);
  /// Schedules every node's connections until `end`.
  void schedule(clock_time end, pick_fn pick);
  const hostile_book& book() const noexcept { return book_; }
  size_t size() const noexcept { return nodes_.size(); }

private:
  struct node {
    hostile_kind kind;
    host_id host;
    uint32_t ip;
    node_key id;
    hostile_dht_node* dht = nullptr; ///< the DHT kinds' datagram component
  };
  void next_round(size_t index, clock_time end);
  void dial(size_t index);
  void open_dht(node& n);

  driver& drv_;
  world& world_;
  hostile_config config_;
  rng random_;
  hostile_book book_;
  pick_fn pick_;
  std::vector<node> nodes_;
};

} // namespace dynfeed::sim
