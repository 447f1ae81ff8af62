#pragma once

/// The Mainline DHT: BitTorrent's Kademlia DHT as BEP 5 specifies it (KRPC: bencoded
/// dictionaries over UDP, 160-bit node IDs, ping, find_node, get_peers, announce_peer), with
/// BEP 44's get and put of mutable and immutable items, BEP 42's node-ID restriction as an
/// option and BEP 43's read-only nodes. It is also a discovery backend (discovery.hpp): a
/// swarm's topic is looked up and announced under its info-hash, krpc::info_hash(topic), the
/// first 20 bytes of the topic, so that any Mainline client finds a dynfeed swarm with get_peers.
/// A plain component that owns a datagram socket: the node runs it over UDP, the simulator over
/// its network. docs/discovery.md describes the protocol, its defaults, limits and counters.
///
/// - Routing: k-buckets by XOR distance (routing_table.hpp), least recently seen first; a
///   full bucket pings its oldest questionable node before a newcomer may replace it; nodes
///   that fail repeatedly are dropped; buckets idle for bucket_refresh are refreshed with a
///   lookup of a random ID in them; bootstrap from config.bootstrap, retried while the table
///   is empty. Nodes that say they are read-only (BEP 43), whose answers are malformed, or
///   (with enforce_bep42) whose ID their address does not allow never enter it.
/// - Lookups: iterative, alpha queries in flight toward the k closest nodes; hops counted.
/// - Peers: get_peers answers carry a write token, a keyed BLAKE2b of the asker's IPv4 address
///   and the info-hash under a secret that rotates every token_rotation (the current and the
///   previous secret are accepted). An announce_peer must bring a token for its source address,
///   and stores that address with the announced port (or the source port: implied_port):
///   nobody can announce an address it does not send from. Records expire after record_ttl.
/// - Items: BEP 44 get/put. A mutable item is checked with bep44::verify and the value rules
///   (accept_value: seq order, CAS), refusals answered with BEP 44's codes; a getter verifies
///   what it gets itself (the signature, and that it belongs to the key and salt it asked for).
///   A get with `seq` is answered without v, k and sig when the held item is not newer.
/// - Abuse: per-source token-bucket rate limit on queries, storage limits with an eviction
///   policy that a flood from one address cannot use against others (dht_store.hpp);
///   malformed, unsolicited and badly tokened datagrams are counted and change nothing.
///
/// Swarms talk to it with the local messages find_peers / peers_found / stop_finding; tests, the
/// simulator and the node may also call the public methods directly. Callbacks run inside the
/// component's handlers (components run single-threaded).

#include "dynfeed/base/endpoint.hpp"
#include "dynfeed/base/endpoint_set.hpp"
#include "dynfeed/base/fifo.hpp"
#include "dynfeed/base/int_map.hpp"
#include "dynfeed/component/datagram.hpp"
#include "dynfeed/discovery/dht_config.hpp"
#include "dynfeed/discovery/dht_store.hpp"
#include "dynfeed/discovery/discovery.hpp"
#include "dynfeed/discovery/routing_table.hpp"
#include "dynfeed/krpc/messages.hpp"
#include "dynfeed/messages/messages.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

namespace dynfeed {

/// A signed mutable item as the item messages carry it (put_item, item_found).
msg::dht_item_fields item_fields(const bep44::mutable_item& item);

/// The outcome of a lookup (find_node, get_peers, get).
struct dht_lookup_result {
  error err;   ///< no_nodes, busy; otherwise none (even if nobody answered)
  node_id target;
  std::vector<krpc::node_info> closest; ///< the k closest nodes that answered, closest first
  std::vector<endpoint> peers;          ///< get_peers: every distinct peer found
  /// get_value: the item found (a mutable one: the valid one with the highest seq; with a
  /// `seq` asked for, only one newer than it).
  std::optional<dht_item> item;
  uint32_t hops = 0;
  uint32_t queries = 0;
  uint32_t answers = 0;
  uint32_t timeouts = 0;
};

/// The outcome of an announce or a put: a lookup, then a store query to each of the k closest
/// nodes that gave a token.
struct dht_store_result {
  error err;                           ///< from the lookup
  uint32_t stored = 0;                 ///< acknowledged
  uint32_t timeouts = 0;
  /// Refusals, one KRPC error code per refusing node (BEP 44: 205, 206, 207, 301, 302).
  std::vector<int64_t> error_codes;
  dht_lookup_result lookup;
};

using dht_lookup_callback = std::function<void(const dht_lookup_result&)>;
using dht_store_callback = std::function<void(const dht_store_result&)>;
/// Peers as a lookup finds them: only the ones it had not reported yet.
using dht_peers_callback = std::function<void(const std::vector<endpoint>&)>;

class dht final : public discovery_component {
public:
  dht(dht_config config, datagram_socket& socket);
  /// With settings shared by many nodes (a simulation's): they are read, never changed; a
  /// node that changes its own (bootstrap, set_announce_port) takes a copy first.
  dht(std::shared_ptr<const dht_config> config, datagram_socket& socket);
  ~dht() override;

  void on_start(context& ctx) override;
  void on_message(context& ctx, component_id from, byte_span frame) override;
  void on_timer(context& ctx, uint64_t tag) override;
  void on_datagram(context& ctx, const endpoint& from, byte_span datagram) override;
  const discovery_stats& stats() const override { return stats_; }
  /// Announces from now on carry `port` (config.announce_port); announced topics go at once.
  void set_announce_port(context& ctx, uint16_t port) override;

  /// Asks `nodes` for our neighbourhood (and keeps them for retries).
  void bootstrap(context& ctx, const std::vector<endpoint>& nodes);
  /// Iterative lookups. Swarm topics are hash256 (discovery.hpp); lookup_peers and announce
  /// take the info-hash, krpc::info_hash(topic) for a swarm.
  void find_node(context& ctx, const node_id& target, dht_lookup_callback done);
  void lookup_peers(context& ctx, const node_id& info_hash, dht_lookup_callback done,
                    dht_peers_callback progress = {});
  /// BEP 44 get of an immutable item: the result's item is one whose SHA-1 is `target`.
  void get_value(context& ctx, const node_id& target, dht_lookup_callback done);
  /// BEP 44 get of the mutable item of `k` and `salt` (target SHA-1(k || salt)): the result's
  /// item is the valid one with the highest seq (with `seq`: only one newer than that; nodes
  /// holding nothing newer answer without it).
  void get_value(context& ctx, const public_key& k, const bytes& salt, dht_lookup_callback done,
                 std::optional<int64_t> seq = std::nullopt);
  /// A get_peers lookup, then an announce_peer of `port` to the k closest nodes (port 0: with
  /// implied_port, the port our datagrams come from).
  void announce(context& ctx, const node_id& info_hash, uint16_t port, dht_store_callback done,
                dht_peers_callback progress = {});
  /// A get lookup toward SHA-1(k || salt), then a put of `item` (signed: bep44::sign) to the k
  /// closest nodes; with `cas`, they store it only if they hold that seq. Requires item.v to be
  /// one bencoded value (bep44::check_bencode), as for put_immutable's `v`.
  void put_value(context& ctx, const bep44::mutable_item& item, std::optional<int64_t> cas,
                 dht_store_callback done);
  /// A get lookup toward SHA-1(v), then a put of the immutable item `v` (bencoded, at most
  /// 1000 bytes) to the k closest nodes.
  void put_immutable(context& ctx, const bytes& v, dht_store_callback done);
  /// Pings `to`; `done(true)` when it answers.
  void ping(context& ctx, const endpoint& to, std::function<void(bool)> done);

  /// Valid once started (on_start).
  const node_id& id() const;
  const routing_table& table() const;
  const dht_store& storage() const noexcept { return store_; }
  /// The settings as given (and as bootstrap and set_announce_port changed them); the ID in
  /// use is id(), drawn at start where config().id is zero.
  const dht_config& config() const noexcept { return *config_; }
  endpoint local() const { return socket_.local(); }
  size_t lookups_running() const noexcept { return lookups_.size(); }
  size_t queries_pending() const noexcept { return pending_.size(); }
  /// Source addresses the rate limit tracks now (at most config.rate_sources_max).
  size_t rate_sources() const noexcept { return rate_.size(); }
  /// Topics that local components asked to find.
  size_t topics_wanted() const noexcept { return wanted_.size(); }
  /// Items local components keep stored (put_item) and watch (watch_item), until stop_item.
  size_t items_kept() const noexcept { return puts_.size(); }
  size_t items_watched() const noexcept { return watches_.size(); }

  /// A write token as this node computes it for `ip` and `target` now (tests and tools).
  bytes token_for(uint32_t ip, const node_id& target) const;

private:
  enum class timer_kind : uint8_t {
    deadline = 1, token, expire, refresh, bootstrap, topic, item_poll, item_put };
  /// Why a query was sent: what its answer (or its absence) goes to.
  enum class purpose : uint8_t { lookup, bootstrap, evict_ping, store, ping };
  using lookup_done = std::function<void(context&, const dht_lookup_result&)>;
  using store_done = std::function<void(context&, const dht_store_result&)>;
  using peers_progress = std::function<void(context&, const std::vector<endpoint>&)>;

  struct pending_query {
    endpoint to;
    std::optional<node_id> node; ///< the ID expected to answer (none: a bootstrap address)
    discovery_op op = discovery_op::ping;
    purpose why = purpose::ping;
    node_id subject;             ///< the info-hash or target asked about
    uint64_t owner = 0;          ///< the lookup, store task or ping that waits for it
  };
  enum class asked : uint8_t { not_yet, waiting, answered, failed };
  struct candidate {
    krpc::node_info node;
    uint32_t round = 1; ///< 1 for nodes we knew, n + 1 for nodes a round-n node told us of
    asked state = asked::not_yet;
    uint32_t attempts = 0;
    bytes token;
  };
  /// What a get lookup looks for: a mutable item of a key and salt (newer than `seq`, if set),
  /// or (no key) the immutable item of the target.
  struct item_wanted {
    std::optional<public_key> k;
    bytes salt;
    std::optional<int64_t> seq;
  };
  struct lookup {
    discovery_op op = discovery_op::find_node;
    node_id target;
    std::vector<candidate> candidates; ///< closest first
    size_t in_flight = 0;
    uint32_t queries = 0;
    uint32_t answers = 0;
    uint32_t timeouts = 0;
    uint32_t last_improving_round = 0;
    endpoint_set peers_seen;
    std::vector<endpoint> peers;
    item_wanted wanted;
    std::optional<dht_item> item;
    /// Called with the lookup itself, before its result: announces and puts need the tokens.
    std::function<void(context&, lookup&)> done;
    peers_progress progress;
  };
  struct store_task {
    size_t waiting = 0;
    dht_store_result result;
    store_done done;
  };
  struct wanted_topic {
    std::map<component_id, bool> components; ///< who asked, and whether it wants announcing
    uint64_t serial = 0;
    timer_id timer = 0;
    bool running = false;          ///< a lookup or announce for it is under way
    clock_time next_announce{0};
    endpoint_set reported;         ///< addresses reported during the current round
    /// Found by the last round, for components that join: packed (hundreds of peers in a
    /// popular swarm), and exactly as long as the list, as it is kept for minutes.
    std::vector<packed_endpoint> known;
    bool failed = false;           ///< the last round could not run (no nodes, busy)
    uint32_t empty_rounds = 0;     ///< rounds in a row that found nobody but this node
    clock_time started{-1};        ///< when the latest round began
  };

  // datagrams
  bool send_query(context& ctx, const endpoint& to, std::optional<node_id> node,
                  krpc::query query, pending_query p);
  /// Answers a query: `op` counts it (none: an unknown method), `topic` counts it by info-hash.
  void send_response(const endpoint& to, const bytes& transaction, krpc::body body,
                     std::optional<discovery_op> op, const node_id* topic);
  void count_topic(discovery_op op, const node_id& topic);
  void on_query(context& ctx, const endpoint& from, krpc::message& m);
  void on_response(context& ctx, const endpoint& from, krpc::message& m);
  bool rate_allows(const endpoint& from, clock_time now);
  void note_node(context& ctx, const krpc::node_info& node);

  // answering
  krpc::body answer(context& ctx, const endpoint& from, krpc::query& q);
  krpc::body answer_get_peers(context& ctx, const endpoint& from, const krpc::get_peers& q);
  krpc::body answer_announce(context& ctx, const endpoint& from, const krpc::announce_peer& q);
  krpc::body answer_get(context& ctx, const endpoint& from, const krpc::get& q);
  krpc::body answer_put(context& ctx, const endpoint& from, krpc::put& q);
  krpc::body answer_mutable_put(context& ctx, const endpoint& from, krpc::mutable_put& q,
                                const bytes& token);
  krpc::body answer_immutable_put(context& ctx, const endpoint& from, krpc::immutable_put& q,
                                  const bytes& token);
  bool token_valid(uint32_t ip, const node_id& target, const bytes& token) const;
  bytes make_token(const hash256& secret, uint32_t ip, const node_id& target) const;

  // queries and lookups
  void on_answer(context& ctx, pending_query& p, const krpc::node_info& from, krpc::body& body);
  void on_no_answer(context& ctx, pending_query& p, bool timed_out);
  void on_deadline(context& ctx);
  /// The public lookups (find_node, lookup_peers, get_value): a begin_lookup whose result, or
  /// failure to start, goes to `done`.
  void run_lookup(context& ctx, discovery_op op, const node_id& target, item_wanted wanted,
                  dht_lookup_callback done, dht_peers_callback progress);
  error begin_lookup(context& ctx, discovery_op op, const node_id& target,
                     std::function<void(context&, lookup&)> done, peers_progress progress,
                     const std::vector<krpc::node_info>& seeds = {}, item_wanted wanted = {});
  krpc::query query_for(const lookup& l) const;
  bool add_candidates(lookup& l, const std::vector<krpc::node_info>& nodes, uint32_t round);
  void lookup_answered(context& ctx, lookup& l, const node_id& node, krpc::body& body);
  void lookup_failed(lookup& l, const node_id& node, bool timed_out);
  void add_peers(context& ctx, lookup& l, const std::vector<endpoint>& peers);
  void take_item(lookup& l, krpc::response& r);
  void advance(context& ctx, uint64_t lookup_id);
  dht_lookup_result result_of(const lookup& l) const;
  void start_announce(context& ctx, const node_id& info_hash, uint16_t port, store_done done,
                      peers_progress progress);
  /// A get lookup toward `target`, then `query` (a put) to the k closest nodes.
  void start_put(context& ctx, const node_id& target, item_wanted wanted, krpc::put put,
                 dht_store_callback done);
  void store_at_closest(context& ctx, lookup& l, krpc::query query, store_done done);
  void task_answered(context& ctx, uint64_t task_id, const krpc::body* body);
  void arm_deadline(context& ctx);

  // maintenance
  timer_id arm(context& ctx, timer_kind kind, clock_time delay, uint64_t serial = 0);
  void send_bootstrap(context& ctx);
  void joined(context& ctx, const lookup& self_lookup);
  void refresh_buckets(context& ctx);
  void rotate_token(context& ctx);

  // discovery for local components
  // Local components name swarm topics (hash256); the DHT looks them up under their
  // info-hash (krpc::info_hash).
  void want(context& ctx, component_id who, const hash256& topic, bool announce);
  void unwant(context& ctx, component_id who, const hash256& topic);
  void run_topic(context& ctx, const hash256& topic);
  /// Runs now the rounds of the topics `due` picks (cancelling their timers).
  void run_topics_now(context& ctx, const std::function<bool(const wanted_topic&)>& due);
  static bool announcing(const wanted_topic& w);
  /// This node as a peer record: our address with the announced port.
  endpoint own_record() const;
  void report(context& ctx, const hash256& topic, const std::vector<endpoint>& peers,
              component_id only = no_component);

  node_id random_id(context& ctx) const;
  hash256 random_secret(context& ctx) const;

  // items for local components: the dht ID channel (dht_items.cpp)
  /// A (k, salt) that local components watch: polled with get and `seq`.
  struct item_watch {
    public_key k;
    bytes salt;
    std::optional<int64_t> seq;      ///< the newest seq reported (or told by a watcher)
    std::set<component_id> watchers;
    clock_time interval{0};
    clock_time jitter{0};
    uint64_t serial = 0;
    timer_id timer = 0;
    bool running = false;            ///< a get is under way
    bool again = false;              ///< a poll was asked for while it ran
  };
  /// An item a local component keeps stored: put now, and again every item_republish.
  struct item_put {
    bep44::mutable_item item;
    component_id owner = no_component;
    uint64_t serial = 0;
    timer_id timer = 0;
  };
  void on_item_message(context& ctx, component_id from, msg::local_message& local);
  void on_item_timer(context& ctx, timer_kind kind, uint64_t serial);
  void keep_item(context& ctx, component_id from, const msg::dht_item_fields& fields);
  void watch_item(context& ctx, component_id from, const msg::watch_item& m);
  void poll_item_now(context& ctx, const node_id& target);
  void stop_item(component_id from, const node_id& target, context& ctx);
  void run_put(context& ctx, const node_id& target);
  void run_poll(context& ctx, const node_id& target);
  void polled(context& ctx, const node_id& target, uint64_t serial, const dht_lookup_result& r);

  std::map<node_id, item_watch> watches_;
  std::map<node_id, item_put> puts_;
  std::map<uint64_t, node_id> item_serials_; ///< poll and re-put timer serial -> target

  /// Shared, not copied: a simulation's nodes hold one between them (520 bytes a node).
  std::shared_ptr<const dht_config> config_;
  datagram_socket& socket_;
  std::optional<routing_table> table_;
  dht_store store_;
  discovery_stats stats_;

  hash256 secret_;
  hash256 previous_secret_;

  u32_map<pending_query> pending_;                        ///< by transaction
  fifo<std::pair<clock_time, uint32_t>> deadlines_;       ///< in send order
  timer_id deadline_timer_ = 0;
  clock_time deadline_at_{0};
  std::map<uint64_t, lookup> lookups_;
  std::map<uint64_t, store_task> tasks_;
  std::map<uint64_t, std::function<void(bool)>> pings_;
  uint64_t next_serial_ = 1;

  u32_map<clock_time> rate_; ///< source IPv4 -> its bucket's refill time
  std::map<hash256, wanted_topic> wanted_;
  std::map<uint64_t, hash256> wanted_serials_;    ///< timer serial -> topic
  bool joining_ = false;
  bool joined_ = false;
  bool bootstrap_armed_ = false;
};

} // namespace dynfeed
