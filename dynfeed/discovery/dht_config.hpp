#pragma once

/// The DHT's settings (discovery/dht.hpp), apart from the DHT itself.

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/base/endpoint.hpp"
#include "dynfeed/component/types.hpp"
#include "dynfeed/feed/signed_value.hpp"
#include "dynfeed/krpc/codec.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dynfeed {

struct routing_config {
  size_t k = 8;                  ///< nodes per bucket (BEP 5: K = 8)
  size_t replacements_max = 8;   ///< nodes waiting for a place, per bucket
  uint32_t failures_max = 3;     ///< queries in a row a node may fail before it is dropped
  /// A node not heard from for this long is pinged before a newcomer may take its place.
  clock_time questionable_after = std::chrono::minutes{15};
  /// Nodes of one IPv4 address in the table at most (BEP 5 nodes commonly keep one), so that
  /// one host cannot fill the table with made-up IDs.
  size_t nodes_per_ip_max = 1;
  /// BEP 42: a node whose ID does not match its IPv4 address (krpc/bep42.hpp; local and
  /// private addresses are exempt) does not enter the table.
  bool enforce_bep42 = false;
};

struct dht_store_limits {
  size_t topics_max = 4096;
  /// Peers stored per info-hash (libtorrent's dht_max_peers is 500): the k closest nodes of a
  /// popular swarm must hold enough of it that askers, each given a sample, spread over it.
  size_t peers_per_topic_max = 500;
  /// BEP 44 items (mutable and immutable together).
  size_t values_max = 4096;
  /// Peer records and items stored for one IPv4 address, together.
  size_t records_per_source_max = 32;
  /// A peer record lives this long unless announced again (libtorrent drops peers not
  /// re-announced within 30 minutes; BEP 5 announces are commonly repeated every 15).
  clock_time record_ttl = std::chrono::minutes{30};
  /// An item lives this long unless put again (BEP 44: "at least 2 hours").
  clock_time value_ttl = std::chrono::hours{2};
  /// The rules items must follow (BEP 44: v at most 1000 bytes, salt at most 64), as
  /// bep44::verify and accept_value apply them.
  value_limits values;
};

struct dht_config {
  /// This node's ID; all zero: drawn at start from the component's random stream (with
  /// enforce_bep42 and a known external_ip: a BEP 42 ID of that address).
  node_id id;
  /// Our address as the rest of the network sees it, if known (0: unknown). With enforce_bep42
  /// our own ID is derived from it (BEP 42). Responses' `ip` fields tell us what others see.
  uint32_t external_ip = 0;
  /// Where to join: nodes asked for our own neighbourhood at start, and again every
  /// bootstrap_retry while the routing table is empty.
  std::vector<endpoint> bootstrap;
  /// BEP 43 read-only: our queries carry `ro` = 1, so nobody puts us in a routing table, and we
  /// answer no queries. For nodes that cannot take unsolicited datagrams (behind NAT): in
  /// tables they would only cost others timeouts.
  bool read_only = false;
  /// The TCP port a find_peers{announce = true} announces (the address is the one our
  /// datagrams come from).
  uint16_t announce_port = 0;

  // ---- Kademlia ----------------------------------------------------------------------------
  // The routing table's settings default to routing_config's own (one definition each).
  /// Bucket size, and how many closest nodes a lookup settles on (BEP 5: K = 8).
  size_t k = routing_config{}.k;
  /// Queries in flight per lookup: libtorrent's dht_search_branching defaults to 5
  /// (bittorrent-dht, through k-rpc, keeps up to 16 in flight per node; Kademlia's paper says 3).
  size_t alpha = 5;
  /// A query unanswered after this long has failed (its node's failure count grows); 2 s is
  /// k-rpc-socket's default timeout (bittorrent-dht's), libtorrent opens another branch after
  /// 1 s and gives up on a node after longer.
  clock_time query_timeout = std::chrono::seconds{2};
  /// Nodes waiting for a place in a full bucket.
  size_t replacements_max = routing_config{}.replacements_max;
  /// Queries in a row a node may fail before it is dropped.
  uint32_t failures_max = routing_config{}.failures_max;
  /// A node not heard from for this long is questionable: pinged before being replaced.
  clock_time questionable_after = std::chrono::minutes{15};
  /// Routing table entries per IPv4 address.
  size_t nodes_per_ip_max = routing_config{}.nodes_per_ip_max;
  /// BEP 42's node-ID restriction (routing_config::enforce_bep42); dht_settings turns it on
  /// away from loopback.
  bool enforce_bep42 = routing_config{}.enforce_bep42;
  /// A bucket with no activity for this long is refreshed (a lookup of a random ID in it);
  /// buckets are checked every refresh_check_interval, at most refreshes_per_check_max at once.
  clock_time bucket_refresh = std::chrono::minutes{15};
  clock_time refresh_check_interval = std::chrono::minutes{1};
  size_t refreshes_per_check_max = 8;
  /// Each check also pings up to this many questionable nodes (the oldest of their bucket),
  /// so that nodes that left are noticed even where no newcomer waits for their place.
  size_t pings_per_check_max = 8;
  /// After joining (the first lookup of our own ID), refresh every bucket farther than our
  /// closest neighbour that is not full, as Kademlia's join does.
  bool refresh_on_join = true;
  clock_time bootstrap_retry = std::chrono::seconds{10};

  // ---- lookups -----------------------------------------------------------------------------
  size_t lookups_max = 64;           ///< lookups (and announces, puts) running at once
  size_t lookup_queries_max = 100;   ///< queries one lookup sends at most
  size_t lookup_candidates_max = 160; ///< nodes one lookup keeps track of, closest first
  /// A lookup asks a node that did not answer this many times more before giving up on it:
  /// one lost datagram should not cost a lookup one of the k closest nodes.
  uint32_t lookup_retries = 1;
  size_t pending_queries_max = 1024; ///< queries awaiting an answer, all lookups together

  // ---- tokens and records --------------------------------------------------------------------
  /// The token secret rotates this often and the previous one is still accepted, so a token
  /// lives 5 to 10 minutes (BEP 5: "tokens up to ten minutes old are accepted").
  clock_time token_rotation = std::chrono::minutes{5};
  /// Limits of what is stored for others, record_ttl and value_ttl (proto/dht_store.hpp).
  dht_store_limits storage;
  /// Expired records and idle rate-limit entries are dropped this often.
  clock_time expire_interval = std::chrono::minutes{1};
  /// Peers in one get_peers answer at most (the datagram stays under 1400 bytes; libtorrent's
  /// dht_max_peers_reply is 100, which needs larger datagrams).
  size_t peers_per_response_max = 32;
  /// Our client version, `v` at the top level of every message we send: "DF" then the major
  /// and minor version as two bytes (BEP 5 recommends two letters and two bytes).
  bytes version = {'D', 'F', 0, 1};

  // ---- rate limit ------------------------------------------------------------------------------
  /// Queries each source IPv4 address may send: a sustained rate and a burst (a token bucket).
  uint32_t queries_per_s = 25;
  uint32_t query_burst = 50;
  /// Sources tracked at most; when all are busy, queries from new sources are dropped too.
  size_t rate_sources_max = 4096;

  // ---- discovery (find_peers from swarms) ----------------------------------------------------
  clock_time lookup_interval = std::chrono::minutes{2};
  clock_time announce_interval = std::chrono::minutes{10};
  /// A round that found nobody but this node comes back sooner: after this, doubling with each
  /// such round up to lookup_interval, so that a reader that came before the writer's announce
  /// does not wait a whole interval.
  clock_time empty_lookup_retry = std::chrono::seconds{1};
  /// A component that asks again (find_peers for a topic it follows: its peers all failed)
  /// gets a new round at once, if the last one began at least this long ago.
  clock_time refresh_min = std::chrono::seconds{5};
  // ---- items for local components (put_item, watch_item: the dht ID channel) ----------------
  /// A kept item is put again this often: as often as peer records are announced, since the
  /// nodes closest to its target change as fast (nodes that join closer never get it, and a
  /// get stops at the k closest). Hourly, readers of a churning network found no item, or a
  /// stale one, for up to an hour (docs/protocol.md, the dht ID channel).
  clock_time item_republish = std::chrono::minutes{10};
  /// A put that reached nobody (no nodes yet, none acknowledged) is tried again after this.
  clock_time item_retry = std::chrono::seconds{10};
  /// A watch_item without an interval polls this often, +- up to item_poll_jitter.
  clock_time item_poll_interval = std::chrono::seconds{60};
  clock_time item_poll_jitter = std::chrono::seconds{15};
  /// (k, salt) pairs watched and items kept at most, each; more are refused (logged).
  size_t items_local_max = 1024;

  /// Topics that discovery_stats::by_topic counts at most (a remote must not grow it forever).
  size_t stats_topics_max = 4096;

  /// What krpc::decode accepts.
  krpc::limits codec;
};

} // namespace dynfeed
