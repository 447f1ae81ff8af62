#pragma once

/// Tracker discovery: a server that maps topics to the peers that announced them, and the
/// client a node runs to use one or more such servers. Both are datagram components
/// (proto/datagram.hpp) speaking the packets of messages/tracker_codec.hpp; the client takes
/// the discovery messages of proto/discovery.hpp from swarms. docs/discovery.md has the protocol,
/// the tokens, the limits and the eviction policy.
///
/// Counters (discovery_stats): ops[tracker_lookup] and ops[tracker_announce] count queries,
/// responses, errors and timeouts on each side; refused counts every datagram dropped, by
/// reason; by_topic counts each datagram about a topic (at most stats_topics_max topics).

#include "dynfeed/discovery/discovery.hpp"
#include "dynfeed/discovery/tracker_config.hpp"
#include "dynfeed/messages/tracker_codec.hpp"

#include <chrono>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace dynfeed {

// ---- the server ---------------------------------------------------------------------------

struct tracker_server_config {
  /// Peers in one lookup reply at most (at most limits.peers_max).
  size_t lookup_peers_max = 50;
  /// How long a record lives without being announced again.
  clock_time record_ttl = std::chrono::minutes{15};
  /// How often expired records are removed; lookups never return them in the meantime.
  clock_time sweep_interval = std::chrono::seconds{30};
  /// How often the token secret changes: a token is accepted for one to two of these.
  clock_time token_rotation = std::chrono::minutes{5};
  /// Keys every token secret (which is drawn from the component's random stream). A node
  /// fills it from the operating system, so that its tokens cannot be predicted from its
  /// component seed; simulations may leave it zero.
  hash256 secret_key;
  /// Each source IP has a token bucket: `burst` requests at once, refilled at requests_per_s.
  /// Every datagram from the source spends one, whatever it holds.
  uint32_t requests_per_s = 20;
  uint32_t burst = 40;
  /// Source IPs whose buckets are remembered; beyond, the least recently seen one is forgotten
  /// (an idle bucket is full anyway).
  size_t rate_sources_max = 65536;
  /// Storage limits, all server-wide: a topic keeps every live record, as BitTorrent trackers
  /// keep every peer of a torrent (docs/discovery.md says why there is no per-topic limit).
  size_t topics_max = 65536;
  /// Records of one source IP, over all topics; at it, a new one replaces the source's own
  /// record that would expire first (a node that moves between topics, as a rotating feed's
  /// nodes do at every append, keeps its newest ones). The bound on what one source can put
  /// in any topic.
  size_t records_per_source_max = 64;
  /// Records in all; beyond, new records are refused. 150 to 200 bytes of memory each, measured
  /// by `dynfeed bench tracker` (docs/discovery.md).
  size_t records_max = 262144;
  /// Topics counted one by one in stats().by_topic; further topics are not (a flood of random
  /// topics must not grow the counters without bound).
  size_t stats_topics_max = 4096;
  /// Bytes of each token (at most limits.token_size_max and 32).
  size_t token_size = 16;
  msg::tracker::limits limits;
};

class tracker_server final : public discovery_component {
public:
  explicit tracker_server(datagram_socket& socket, tracker_server_config config = {});

  void on_start(context& ctx) override;
  /// A server takes no local messages; any it gets are ignored.
  void on_message(context&, component_id, byte_span) override {}
  void on_timer(context& ctx, uint64_t tag) override;
  void on_datagram(context& ctx, const endpoint& from, byte_span datagram) override;
  const discovery_stats& stats() const override { return stats_; }

  /// The live records of `topic` (source IP : announced port) at time `now`, in address order.
  std::vector<endpoint> peers_of(const hash256& topic, clock_time now) const;
  size_t topic_count() const noexcept { return topics_.size(); }
  const tracker_server_config& config() const noexcept { return config_; }

private:
  struct record {
    clock_time expires{0};
    uint32_t slot = 0; ///< its index in topic_state::slots
  };
  using record_map = std::map<endpoint, record>;
  struct topic_state {
    record_map records; ///< by source IP : announced port
    /// Every record once, in no particular order: a lookup draws its sample from here by
    /// index, in time proportional to the sample and not to the topic.
    std::vector<record_map::iterator> slots;
  };
  struct bucket {
    clock_time next_free{0}; ///< GCRA's theoretical arrival time
    std::list<uint32_t>::iterator recent;
  };

  bool admit(clock_time now, uint32_t ip);
  void on_lookup(context& ctx, const endpoint& from, uint64_t transaction,
                 const msg::tracker::lookup& m);
  void on_announce(context& ctx, const endpoint& from, uint64_t transaction,
                   const msg::tracker::announce& m);
  /// Stores or refreshes the record; why not, when it does not fit.
  std::optional<std::string> store(clock_time now, const hash256& topic, const endpoint& peer);
  /// A uniform sample of at most lookup_peers_max live records of `t` other than `own` (when
  /// own.port != 0), in random order.
  std::vector<endpoint> sample(context& ctx, topic_state& t, const endpoint& own);
  void insert(const hash256& topic, topic_state& t, const endpoint& peer, clock_time expires);
  void erase(const hash256& topic, topic_state& t, record_map::iterator it);
  void refresh(const hash256& topic, record_map::iterator it, clock_time expires);
  /// Removes the record of source `ip` that expires first (its topic stays until the sweep).
  void erase_oldest_of(uint32_t ip);
  void purge(const hash256& topic, topic_state& t, clock_time now);
  void sweep(clock_time now);
  void rotate(context& ctx);
  bytes token_for(uint32_t ip, const hash256& secret) const;
  bool token_valid(uint32_t ip, const bytes& token) const;
  void refuse(context& ctx, const endpoint& to, uint64_t transaction, const hash256& topic,
              msg::tracker::error_code code, std::string message);
  void send(const endpoint& to, const msg::tracker::packet& p);
  void count_topic(const hash256& topic);

  datagram_socket& socket_;
  tracker_server_config config_;
  clock_time rate_interval_;
  std::map<hash256, topic_state> topics_;
  /// A source's records over all topics, by expiry then topic and port.
  using source_record = std::tuple<clock_time, hash256, uint16_t>;
  std::unordered_map<uint32_t, std::set<source_record>> source_records_; ///< by source IP
  size_t record_count_ = 0;
  std::unordered_map<uint32_t, bucket> buckets_;
  std::list<uint32_t> recent_sources_; ///< most recently seen first
  hash256 secret_;
  hash256 previous_secret_;
  discovery_stats stats_;
};

// ---- the client ---------------------------------------------------------------------------

class tracker_client final : public discovery_component {
public:
  tracker_client(datagram_socket& socket, tracker_client_config config);

  /// find_peers and stop_finding from the node's components (swarms).
  void on_message(context& ctx, component_id from, byte_span frame) override;
  void on_timer(context& ctx, uint64_t tag) override;
  void on_datagram(context& ctx, const endpoint& from, byte_span datagram) override;
  const discovery_stats& stats() const override { return stats_; }
  /// Announces carry `port` from now on (config.announce_port); announced topics go at once.
  void set_announce_port(context& ctx, uint16_t port) override;

  size_t topic_count() const noexcept { return topics_.size(); }
  size_t pending_count() const noexcept { return pending_.size(); }

private:
  /// One topic at one tracker: a round is a lookup, then an announce if one is due.
  struct round_state {
    clock_time next_announce{0};
    timer_id timer = 0;
    uint64_t timer_tag = 0;
    bool in_flight = false;
    bool token_retried = false; ///< this round asked again after a bad_token error
    uint32_t empty_rounds = 0;  ///< lookups in a row that found nobody
    clock_time started{-1};     ///< when the latest round began
  };
  struct topic_state {
    uint64_t epoch = 0; ///< tells this following of the topic from earlier ones
    std::map<component_id, bool> requesters; ///< component -> wants the topic announced
    std::vector<round_state> rounds;         ///< one per tracker
  };
  struct pending {
    hash256 topic;
    uint64_t epoch = 0;
    size_t tracker = 0;
    discovery_op op = discovery_op::tracker_lookup;
    bytes datagram;
    uint32_t attempt = 0;
    timer_id timer = 0;
    uint64_t timer_tag = 0;
  };
  struct timer_target {
    bool timeout = false; ///< a request's timeout (else a round)
    uint64_t transaction = 0;
    hash256 topic;
    size_t tracker = 0;
  };

  /// The topic state `p` was sent for, if that following of the topic still goes on.
  topic_state* followed(const pending& p);
  bool announcing(const topic_state& t) const;
  void on_find(context& ctx, component_id from, const msg::find_peers& m);
  void on_stop_finding(context& ctx, component_id from, const msg::stop_finding& m);
  void start_round(context& ctx, const hash256& topic, size_t tracker);
  void end_round(context& ctx, const hash256& topic, size_t tracker, bool failed);
  void schedule_round(context& ctx, const hash256& topic, size_t tracker, clock_time delay);
  void request(context& ctx, const hash256& topic, size_t tracker, msg::tracker::body body);
  void transmit(context& ctx, uint64_t transaction, pending& p);
  void on_timeout(context& ctx, uint64_t transaction);
  void on_reply(context& ctx, const pending& p, const msg::tracker::body& reply);
  /// Delivers the peers of a lookup reply; how many there were (the node itself left out).
  size_t on_peers(context& ctx, const hash256& topic, const msg::tracker::lookup_reply& reply);
  void deliver(context& ctx, const hash256& topic, const std::vector<std::string>& addresses);
  void count_topic(const hash256& topic);

  datagram_socket& socket_;
  tracker_client_config config_;
  std::map<hash256, topic_state> topics_;
  std::map<uint64_t, pending> pending_; ///< by transaction
  std::map<uint64_t, timer_target> timers_; ///< by tag
  uint64_t next_tag_ = 1;
  uint64_t next_epoch_ = 1;
  discovery_stats stats_;
};

} // namespace dynfeed
